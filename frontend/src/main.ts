import { mount } from 'svelte';
import App from './App.svelte';
import { startupClock } from './lib/stores/ready';
import './app.css';

// Every import above has been fetched and evaluated by now.
startupClock.mark('script_ms');

const target = document.getElementById('app');
if (!target) throw new Error('corral: #app element missing from index.html');

const app = mount(App, { target });
startupClock.mark('mounted_ms');

export default app;
