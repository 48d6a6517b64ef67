import { ApiKeyEntity } from '../auth/api-key.entity';
import { BusinessEntity } from '../business/business.entity';

/** Every MikroORM entity, listed explicitly (no folder globs: STACK-NOTES.md). */
export const ENTITIES = [BusinessEntity, ApiKeyEntity];
