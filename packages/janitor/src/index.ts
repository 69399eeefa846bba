export { Janitor, startJanitor, type JanitorOptions, type RunningJanitor } from './janitor.js';
