// Starts a local PLC directory and a real Bluesky PDS (@atproto/pds) for the test suite.
//
//   node .ci/pds/start.js <data dir> <plc port> <pds port>
//
// Prints one line `SELLCAST_PDS_READY pds=<url> plc=<url>` once both answer, then runs until
// it gets SIGTERM/SIGINT or its stdin closes (the test that started it went away).
// Everything lives under <data dir>; the PLC database is in memory, so use a fresh dir each run.
'use strict'

const crypto = require('node:crypto')
const fs = require('node:fs')
const path = require('node:path')
const { PlcServer, Database } = require('@did-plc/server')
const { PDS, envToCfg, envToSecrets, readEnv } = require('@atproto/pds')

function fail(message) {
  process.stderr.write(`start.js: ${message}\n`)
  process.exit(1)
}

async function main() {
  const [dataDir, plcPortArg, pdsPortArg] = process.argv.slice(2)
  const plcPort = Number(plcPortArg)
  const pdsPort = Number(pdsPortArg)
  if (!dataDir || !plcPort || !pdsPort) fail('usage: node start.js <data dir> <plc port> <pds port>')

  const blobDir = path.join(dataDir, 'blobs')
  fs.mkdirSync(blobDir, { recursive: true })

  const plc = PlcServer.create({ db: Database.mock(), port: plcPort })
  await plc.start()

  const hex = (bytes) => crypto.randomBytes(bytes).toString('hex')
  const env = readEnv()
  Object.assign(env, {
    hostname: 'localhost',
    port: pdsPort,
    dataDirectory: dataDir,
    blobstoreDiskLocation: blobDir,
    jwtSecret: hex(32),
    adminPassword: hex(16),
    dpopSecret: hex(32),
    plcRotationKeyK256PrivateKeyHex: hex(32),
    didPlcUrl: `http://localhost:${plcPort}`,
    devMode: true,
    inviteRequired: false,
    crawlers: [],
    version: env.version || '0.4.217',
  })
  const pds = await PDS.create(envToCfg(env), envToSecrets(env))
  await pds.start()

  const pdsUrl = `http://localhost:${pdsPort}`
  const health = await fetch(`${pdsUrl}/xrpc/_health`)
  if (!health.ok) fail(`the PDS health check answered ${health.status}`)
  process.stdout.write(`SELLCAST_PDS_READY pds=${pdsUrl} plc=http://localhost:${plcPort}\n`)

  let stopping = false
  const stop = async () => {
    if (stopping) return
    stopping = true
    try {
      await pds.destroy()
      await plc.destroy()
    } finally {
      process.exit(0)
    }
  }
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
  process.stdin.on('end', stop)
  process.stdin.on('error', stop)
  process.stdin.resume()
}

main().catch((err) => fail(err && err.stack ? err.stack : String(err)))
