export default function Home() {
  return <main>Patchbay</main>;
}
