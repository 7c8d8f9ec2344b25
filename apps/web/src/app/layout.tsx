import type { ReactNode } from 'react';
import Link from 'next/link';
import './globals.css';
import { Providers } from './providers';
import { themeScript } from '../lib/theme';
import { SearchBox } from '../components/SearchBox';
import { ThemeToggle } from '../components/ThemeToggle';
import { UpdatesBanner } from '../components/UpdatesBanner';

export const metadata = { title: 'Patchbay', description: 'How the cluster network is wired, and where a packet goes.' };

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en" suppressHydrationWarning>
      <head>
        <script dangerouslySetInnerHTML={{ __html: themeScript }} />
      </head>
      <body>
        <Providers>
          <a href="#main" className="skip-link">
            Skip to content
          </a>
          <header className="top">
            <Link href="/" className="brand">
              Patchbay
            </Link>
            <nav aria-label="Views">
              <Link href="/">Cluster map</Link>
              <Link href="/trace">Trace</Link>
            </nav>
            <SearchBox />
            <ThemeToggle />
          </header>
          <UpdatesBanner />
          <main id="main">{children}</main>
        </Providers>
      </body>
    </html>
  );
}
