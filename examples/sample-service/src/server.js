import { createServer } from 'node:http';
import { handle } from './app.js';

const port = Number(process.env.PORT ?? 8080);
const info = {
  version: process.env.SERVICE_VERSION ?? process.env.GANTRY_COMMIT ?? 'dev',
  color: process.env.DEPLOYMENT_COLOR ?? null,
};
const server = createServer((req, res) => handle(req, res, info));
server.listen(port, '127.0.0.1', () => console.log(JSON.stringify({ message: 'listening', port, ...info })));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
