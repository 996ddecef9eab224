/** Key policies have one name, `default` (reference §3.14). */
import { NotFoundException } from '../../errors/kms-errors.ts';

export function checkPolicyName(name: string | undefined): void {
  if (name !== undefined && name !== 'default') throw new NotFoundException(`No such policy exists: ${name}. The only key policy name is default.`);
}
