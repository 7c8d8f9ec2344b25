'use client';

import { useEffect, useState } from 'react';
import { currentTheme, palettes, THEME_KEY, type Theme } from '../lib/theme';

const listeners = new Set<(t: Theme) => void>();

export function setTheme(t: Theme): void {
  document.documentElement.dataset.theme = t;
  try {
    localStorage.setItem(THEME_KEY, t);
  } catch {
    // Private windows may refuse storage; the theme still applies to this page.
  }
  for (const l of listeners) l(t);
}

export function useTheme() {
  const [theme, set] = useState<Theme>('light');
  useEffect(() => {
    set(currentTheme());
    listeners.add(set);
    return () => {
      listeners.delete(set);
    };
  }, []);
  return { theme, palette: palettes[theme] };
}
