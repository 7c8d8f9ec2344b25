import { PodPage } from '../../../../components/PodPage';
import { decodeSegment } from '../../../../lib/routes';

export default async function Page({ params }: { params: Promise<{ namespace: string; name: string }> }) {
  const { namespace, name } = await params;
  return <PodPage namespace={decodeSegment(namespace)} name={decodeSegment(name)} />;
}
