import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from '../../src/config/config.js';
import { DEFAULT_PAGER_SERVICE, serviceFor } from '../../src/incidents/paging.js';
import { channelFor, parseRoute, routeFor } from '../../src/incidents/routing.js';

const KEY = 'D0123456789abcdef0123456789ABCDE';
const routes = loadConfig({
  INCIDENT_ROUTES: 'team=payments:C0PAYMENTS:payments, team=search:#search-incidents,namespace=kube-system:C0PLATFORM',
  PAGERDUTY_ROUTING_KEY: KEY, PAGERDUTY_SERVICES: `payments=${KEY.replace('D', 'P')},checkout=${KEY.replace('D', 'C')}`,
}).routes;

test('INCIDENT_ROUTES is read in order: label, value, channel (a # dropped), optional PagerDuty service', () => {
  assert.deepEqual(routes, [
    { label: 'team', value: 'payments', channel: 'C0PAYMENTS', pagerService: 'payments' },
    { label: 'team', value: 'search', channel: 'search-incidents', pagerService: undefined },
    { label: 'namespace', value: 'kube-system', channel: 'C0PLATFORM', pagerService: undefined },
  ]);
});

test('the first route whose label the incident carries with that exact value wins; else the default channel', () => {
  const cases: [Record<string, string>, string][] = [
    [{ team: 'payments', namespace: 'kube-system' }, 'C0PAYMENTS'],
    [{ team: 'checkout', namespace: 'kube-system' }, 'C0PLATFORM'],
    [{ team: 'search' }, 'search-incidents'],
    [{ team: 'Search' }, 'C0DEFAULT'],
    [{ team: 'search-x' }, 'C0DEFAULT'],
    [{ teams: 'search' }, 'C0DEFAULT'],
    [{}, 'C0DEFAULT'],
  ];
  for (const [labels, channel] of cases) assert.equal(channelFor(labels, routes, 'C0DEFAULT'), channel, JSON.stringify(labels));
  assert.equal(routeFor({ constructor: 'x' }, [{ label: 'constructor', value: 'y', channel: 'C0X', pagerService: undefined }]), undefined);
});

test('PagerDuty: the route\'s service first, then the service label, then the default', () => {
  const services = new Set([DEFAULT_PAGER_SERVICE, 'payments', 'checkout']);
  assert.equal(serviceFor({ team: 'payments', service: 'checkout' }, services, DEFAULT_PAGER_SERVICE, routes), 'payments');
  assert.equal(serviceFor({ team: 'search', service: 'checkout' }, services, DEFAULT_PAGER_SERVICE, routes), 'checkout');
  assert.equal(serviceFor({ team: 'search' }, services, DEFAULT_PAGER_SERVICE, routes), DEFAULT_PAGER_SERVICE);
  assert.equal(serviceFor({ team: 'payments' }, new Set([DEFAULT_PAGER_SERVICE]), DEFAULT_PAGER_SERVICE, routes), DEFAULT_PAGER_SERVICE);
});

test('a malformed route or an unknown PagerDuty service stops start-up, naming it', () => {
  assert.throws(() => loadConfig({ INCIDENT_ROUTES: 'team=payments:C0PAYMENTS,team:search' }),
    /INCIDENT_ROUTES: must be label=value:channel\[:pagerduty-service\] items, separated by commas: "team:search" is not/);
  assert.throws(() => loadConfig({ INCIDENT_ROUTES: 'team=pay ments:C0PAYMENTS' }), /"team=pay ments:C0PAYMENTS" is not/);
  assert.throws(() => loadConfig({ INCIDENT_ROUTES: 'team=payments:C0PAYMENTS:payments', PAGERDUTY_ROUTING_KEY: KEY }),
    /INCIDENT_ROUTES: names PagerDuty service "payments" \(for team=payments\), which is not configured/);
  assert.equal(parseRoute('team=payments:C0PAYMENTS:default')?.pagerService, 'default');
  assert.equal(loadConfig({ INCIDENT_ROUTES: 'team=a:C0A:default', PAGERDUTY_ROUTING_KEY: KEY }).pagerduty?.routes[0]?.pagerService, 'default');
});
