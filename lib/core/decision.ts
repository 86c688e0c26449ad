/** A computed value with the rule and inputs that produced it, as the review prints it. */
import { Citation } from './references';

export interface Decision<T = number | string> {
  readonly name: string;
  readonly value: T;
  /** The rule with the inputs filled in, e.g. `max(3, ceil(1000 / 200)) = 5`. */
  readonly rule: string;
  /** Where the rule comes from: upstream pages or source files a reader can open. */
  readonly source?: Citation;
  /** A capacity figure (watches, connections, addresses, memory, MTU): the review tables it apart. */
  readonly capacity?: boolean;
  /** Room left, for capacity figures, e.g. "16.6%". */
  readonly headroom?: string;
}
