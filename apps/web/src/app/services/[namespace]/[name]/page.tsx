import { ServicePage } from '../../../../components/ServicePage';
import { decodeSegment } from '../../../../lib/routes';

export default async function Page({ params }: { params: Promise<{ namespace: string; name: string }> }) {
  const { namespace, name } = await params;
  return <ServicePage namespace={decodeSegment(namespace)} name={decodeSegment(name)} />;
}
