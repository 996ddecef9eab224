/** TagUser: adds or replaces tags of a user. */
import { tagEntity } from './tags.ts';

export const tagUser = tagEntity('user');
