import { PageTitle } from '../components/Page';
import { Link } from '../router';

export function NotFoundPage() {
  return (
    <>
      <PageTitle title="Page not found" />
      <p>
        There is no page at this address. <Link href="/">Go to the overview</Link>.
      </p>
    </>
  );
}
