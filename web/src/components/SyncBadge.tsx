/** The sync state of a record as a labelled badge (colour is never the only signal: the word is there). */
import { stateLabel } from '../labels';

export function SyncBadge({ state }: { state: string }) {
  return <span class={`badge badge-${state}`}>{stateLabel(state)}</span>;
}
