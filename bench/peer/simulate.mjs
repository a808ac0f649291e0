// The peer's side of the side-by-side (python -m bench): @cloud-copilot/iam-simulate on the shared scenarios.
//
// node simulate.mjs SCENARIOS time BUDGET_MS [MODE]: checks every peer scenario's decision against the
// expected one, then times each (after a warm-up of them all, batches until BUDGET_MS have passed) and prints one
// JSON object: per scenario the decision, the iterations and the nanoseconds per decision. A mismatch is
// reported (and nothing timed): the caller fails the figure.
//
// node simulate.mjs SCENARIOS cold NAME [MODE]: one decision in this fresh process, printed as soon as it
// is made (the caller times the process from its start to that line).
//
// MODE "validated" (the default): runSimulation, the library's documented entry point, with each policy
// validated once beforehand (createValidatedPolicy, the library's own way to skip re-validation: what a
// caller that holds the documents does). MODE "raw": runSimulation on the plain documents, validated on
// every call (the README's usage). MODE "unsafe": runUnsafeSimulation, no validation and no context-key
// normalisation. Each decision is one call, awaited.
//
// Grants: iam-simulate models no KMS grants; scenarios with "peer": false are skipped here.

import { readFileSync } from 'node:fs'
import { performance } from 'node:perf_hooks'
import { runSimulation, runUnsafeSimulation } from '@cloud-copilot/iam-simulate'
import {
  createValidatedPolicy,
  validateIdentityPolicy,
  validateResourcePolicy
} from '@cloud-copilot/iam-policy'

const WARM_UP_MS = 200

function simulation(scenario, mode) {
  const given = scenario.request
  const validated = mode === 'validated'
  const keyPolicy = validated
    ? createValidatedPolicy(scenario.key_policy, validateResourcePolicy)
    : scenario.key_policy
  const identityPolicies = scenario.identity_policies.map(({ name, policy }) => ({
    name,
    policy: validated ? createValidatedPolicy(policy, validateIdentityPolicy, { name }) : policy
  }))
  return {
    request: {
      principal: given.principal,
      action: given.action,
      resource: { resource: given.resource, accountId: given.resource_account || given.account },
      contextVariables: given.context
    },
    identityPolicies,
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    resourcePolicy: keyPolicy
  }
}

function decider(scenario, mode) {
  const input = simulation(scenario, mode)
  if (mode === 'unsafe') {
    return async () => runUnsafeSimulation(input, {})
  }
  return async () => {
    const response = await runSimulation(input, {})
    if (response.resultType === 'error') {
      return `error: ${JSON.stringify(response.errors)}`
    }
    return response.overallResult
  }
}

async function timed(decide, budgetMs) {
  let iterations = 0
  let elapsed = 0
  let batch = 16
  while (elapsed < budgetMs) {
    const start = performance.now()
    for (let i = 0; i < batch; i++) {
      await decide()
    }
    elapsed += performance.now() - start
    iterations += batch
    batch = Math.min(batch * 2, 4096)
  }
  return { iterations, elapsed }
}

async function timeAll(scenarios, budgetMs, mode) {
  const deciders = new Map(scenarios.map((s) => [s.name, decider(s, mode)]))
  const mismatches = {}
  for (const scenario of scenarios) {
    const got = await deciders.get(scenario.name)()
    if (got !== scenario.expected) {
      mismatches[scenario.name] = { expected: scenario.expected, got }
    }
  }
  if (Object.keys(mismatches).length > 0) {
    return { mismatches }
  }
  for (const decide of deciders.values()) {
    await timed(decide, WARM_UP_MS) // every scenario warmed up before any is timed
  }
  const results = {}
  for (const scenario of scenarios) {
    const decide = deciders.get(scenario.name)
    const { iterations, elapsed } = await timed(decide, budgetMs)
    results[scenario.name] = {
      decision: await decide(),
      iterations,
      ns: (elapsed / iterations) * 1e6
    }
  }
  return { scenarios: results }
}

async function main() {
  const [path, what, argument, mode = 'validated'] = process.argv.slice(2)
  const scenarios = JSON.parse(readFileSync(path, 'utf8')).scenarios.filter((s) => s.peer)
  if (what === 'cold') {
    const scenario = scenarios.find((s) => s.name === argument)
    const decision = await decider(scenario, mode)()
    process.stdout.write(JSON.stringify({ decision }) + '\n')
    return
  }
  process.stdout.write(JSON.stringify(await timeAll(scenarios, Number(argument), mode)) + '\n')
}

await main()
