/** ListUserTags: the tags of a user, paged. */
import { listEntityTags } from './tags.ts';

export const listUserTags = listEntityTags('user');
