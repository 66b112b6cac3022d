/**
 * Imported first by main.ts, before any framework module is loaded: the demo runs as
 * production unless NODE_ENV says otherwise, so what it shows is what an app would ship
 * (Express, for one, prints stack traces in its error pages outside production).
 */
if (!process.env.NODE_ENV) process.env.NODE_ENV = 'production';
