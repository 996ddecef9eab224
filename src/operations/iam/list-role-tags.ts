/** ListRoleTags: the tags of a role, paged. */
import { listEntityTags } from './tags.ts';

export const listRoleTags = listEntityTags('role');
