import type { ReactNode } from 'react';

export const metadata = { title: 'Tessera on Next.js' };

// No web fonts: the build fetches nothing from the network.
const style = `body{font:15px/1.5 system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.3rem;text-align:left}
button{font:inherit;padding:.25rem .8rem}.danger{color:#b00}`;

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        <style>{style}</style>
        <h1>Tessera on Next.js</h1>
        {children}
      </body>
    </html>
  );
}
