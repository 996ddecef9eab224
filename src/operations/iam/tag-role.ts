/** TagRole: adds or replaces tags of a role. */
import { tagEntity } from './tags.ts';

export const tagRole = tagEntity('role');
