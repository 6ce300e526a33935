import type { PullEntity } from '../../workflows/definitions';
import type { PagePull } from './puller';
import { accountsPull } from './accounts';
import { assetsPull } from './assets';
import { contactsPull } from './contacts';

/** How each BMS entity is pulled. */
export const pullers: Partial<Record<PullEntity, PagePull>> = {
  accounts: accountsPull,
  contacts: contactsPull,
  assets: assetsPull,
};
