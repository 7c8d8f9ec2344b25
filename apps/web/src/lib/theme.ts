// Light and dark themes. The choice is kept in localStorage; without one the system preference wins. A tiny
// inline script applies it before the first paint (no flash), and the graph reads the same palette.

export type Theme = 'light' | 'dark';
export const THEME_KEY = 'patchbay-theme';

export const themeScript = `(function(){try{var t=localStorage.getItem('${THEME_KEY}');if(t!=='light'&&t!=='dark'){t=window.matchMedia('(prefers-color-scheme: dark)').matches?'dark':'light'}document.documentElement.dataset.theme=t}catch(e){document.documentElement.dataset.theme='light'}})();`;

export interface Palette {
  bg: string;
  fg: string;
  muted: string;
  box: string;
  boxBorder: string;
  group: string;
  pod: string;
  podBorder: string;
  segment: string;
  edge: string;
  tunnel: string;
  route: string;
  accent: string;
  unobserved: string;
  down: string;
  verdict: Record<string, string>;
}

const verdictLight = { delivered: '#1a7f37', partial: '#9a6700', rejected: '#cf222e', dropped: '#cf222e', 'no-route': '#bc4c00', 'left-cluster': '#0969da', unknown: '#6e7781' };
const verdictDark = { delivered: '#3fb950', partial: '#d29922', rejected: '#f85149', dropped: '#f85149', 'no-route': '#f0883e', 'left-cluster': '#58a6ff', unknown: '#8b949e' };

export const palettes: Record<Theme, Palette> = {
  light: {
    bg: '#ffffff', fg: '#1f2328', muted: '#59636e', box: '#f6f8fa', boxBorder: '#8c959f', group: '#eef1f4', pod: '#ddf4ff', podBorder: '#54aeff',
    segment: '#8250df', edge: '#afb8c1', tunnel: '#bf3989', route: '#0969da', accent: '#0969da', unobserved: '#d0d7de', down: '#cf222e', verdict: verdictLight,
  },
  dark: {
    bg: '#0d1117', fg: '#e6edf3', muted: '#9198a1', box: '#161b22', boxBorder: '#6e7681', group: '#1c2128', pod: '#0c2d6b', podBorder: '#388bfd',
    segment: '#a371f7', edge: '#484f58', tunnel: '#db61a2', route: '#58a6ff', accent: '#58a6ff', unobserved: '#30363d', down: '#f85149', verdict: verdictDark,
  },
};

export function currentTheme(): Theme {
  if (typeof document === 'undefined') return 'light';
  return document.documentElement.dataset.theme === 'dark' ? 'dark' : 'light';
}
