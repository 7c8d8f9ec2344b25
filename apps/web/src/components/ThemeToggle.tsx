'use client';

import { setTheme, useTheme } from './useTheme';

export function ThemeToggle() {
  const { theme } = useTheme();
  const next = theme === 'dark' ? 'light' : 'dark';
  return (
    <button type="button" onClick={() => setTheme(next)} aria-label={`Switch to the ${next} theme`} data-testid="theme-toggle">
      {theme === 'dark' ? 'Light theme' : 'Dark theme'}
    </button>
  );
}
