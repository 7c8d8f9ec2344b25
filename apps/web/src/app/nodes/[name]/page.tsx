import { NodePage } from '../../../components/NodePage';
import { decodeSegment } from '../../../lib/routes';

export default async function Page({ params }: { params: Promise<{ name: string }> }) {
  const { name } = await params;
  return <NodePage name={decodeSegment(name)} />;
}
