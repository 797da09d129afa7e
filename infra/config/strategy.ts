import type { DeployConfig } from './schema';

/** A traffic shift as people say it: its predefined name, `canary 20% for 3 min`, `linear 10% every 1 min`. */
export function strategyLabel(strategy: DeployConfig['strategy']): string {
  if (typeof strategy === 'string') return strategy;
  if ('canary' in strategy) return `canary ${strategy.canary.percent}% for ${strategy.canary.minutes} min`;
  return `linear ${strategy.linear.percent}% every ${strategy.linear.everyMinutes} min`;
}
