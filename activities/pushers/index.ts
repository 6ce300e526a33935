import type { RecordType } from '../../domain/records';
import type { Pusher } from './pusher';
import { configurationPusher } from './configuration';
import { contactPusher } from './contact';
import { locationPusher } from './location';
import { organizationPusher } from './organization';

/** The pusher for each record type. */
export const pushers: Partial<Record<RecordType, Pusher>> & Record<'organization', Pusher> = {
  organization: organizationPusher,
  location: locationPusher,
  contact: contactPusher,
  configuration: configurationPusher,
};
