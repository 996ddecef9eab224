/** UntagUser: removes tags of a user by key. */
import { untagEntity } from './tags.ts';

export const untagUser = untagEntity('user');
