/** Prints the path of the Temporal CLI, installing it with `go install` when it is missing. */
import { findTemporalCli } from '../devstack/temporal-cli';

findTemporalCli({ log: (line) => console.error(line) })
  .then((cli) => console.log(cli))
  .catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
