import Link from 'next/link';

export default function NotFound() {
  return (
    <div role="alert" className="error-box" data-testid="error">
      <h2>No such page</h2>
      <p>
        Patchbay has these views: the cluster map (/), /nodes/NAME, /pods/NAMESPACE/NAME, /services/NAMESPACE/NAME and /trace?from=…&amp;to=…&amp;proto=tcp.
      </p>
      <p>
        <Link href="/">Back to the cluster map</Link>
      </p>
    </div>
  );
}
