/** UntagRole: removes tags of a role by key. */
import { untagEntity } from './tags.ts';

export const untagRole = untagEntity('role');
