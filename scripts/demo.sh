#!/usr/bin/env bash
# The demo command: installs what is missing, builds, makes development certificates, then runs
# the Meta simulator and the gateway with demo data (two lines, contact reasons, templates in
# several states, customers who wrote 2 hours ago, 3 days ago and never). Ctrl-C stops both.
# Usage: scripts/demo.sh            (data is kept in var/demo; remove it for a fresh start)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

"$root/scripts/install-deps.sh"
echo "==> building"
cmake -S "$root" -B "$root/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$root/build" -j"$(nproc)" --target ativa-gateway ativa-meta-sim ativa-admin >/dev/null
"$root/certs/make-dev-certs.sh" "$root/certs/out"

data="$root/var/demo/data"
admin=("$root/build/tools/ativa-admin" --data "$data")
gateway=("$root/build/gateway/ativa-gateway" --config "$root/demo/gateway.json")
mkdir -p "$root/var/demo"

wait_healthy() { # pid
    for _ in $(seq 1 100); do
        curl -fsS --cacert "$root/certs/out/ca.pem" https://localhost:8443/healthz >/dev/null 2>&1 && return 0
        kill -0 "$1" 2>/dev/null || { cat "$root/var/demo/gateway.log" >&2; return 1; }
        sleep 0.1
    done
    echo "demo: the gateway did not become healthy; see var/demo/gateway.log" >&2
    return 1
}

if [[ ! -d "$data" ]]; then
    echo "==> seeding demo data in $data"
    # A first start records the configured lines in the store; the customers' past messages are
    # then written while no gateway runs.
    "${gateway[@]}" 2>"$root/var/demo/gateway.log" &
    first=$!
    wait_healthy "$first"
    kill -TERM "$first" && wait "$first"
    # The same customers, with the same last messages, as the simulator's sim/demo/sim.json.
    "${admin[@]}" seed-inbound 1001 5511987654321 "Mariana Costa" 7200 "Oi, meu pedido ainda não chegou." >/dev/null
    "${admin[@]}" seed-inbound 1001 5511976543210 "Carlos Pereira" 259200 "Obrigado pelo atendimento!" >/dev/null
    "${admin[@]}" seed-inbound 1001 558299448232 "José Araújo" 7200 "Bom dia, podem me ligar?" >/dev/null
    "${admin[@]}" seed-inbound 1002 5531991234567 "Luíza Andrade" 1800 "Queria remarcar minha consulta." >/dev/null
    # Agents (demo passwords: never use these anywhere else).
    echo "maria-demo-123" | "${admin[@]}" agent add maria --name "Maria Souza" --lines 1001 --password-stdin >/dev/null
    echo "joao-demo-123" | "${admin[@]}" agent add joao --name "João Lima" --lines 1001,1002 --password-stdin >/dev/null
    echo "ana-demo-123" | "${admin[@]}" agent add ana --name "Ana Ribeiro" --role supervisor --password-stdin >/dev/null
    # Carlos was attended 3 days ago: his conversation is history (Histórico), his window closed.
    "${admin[@]}" finalize 1001 5511976543210 maria "Entrega" "Cliente agradeceu; pedido entregue." >/dev/null
fi

pids=()
stop() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
}
trap stop EXIT INT TERM

echo "==> starting the Meta simulator on https://localhost:9443"
"$root/build/sim/ativa-meta-sim" --config "$root/sim/demo/sim.json" >"$root/var/demo/sim.log" 2>&1 &
pids+=($!)
echo "==> starting the gateway on https://localhost:8443"
"${gateway[@]}" 2>>"$root/var/demo/gateway.log" &
pids+=($!)
wait_healthy "${pids[1]}"

cat <<TEXT

ativa is running.

  Console:   https://localhost:8443
             agents: maria / maria-demo-123 (line 1001), joao / joao-demo-123 (both lines),
             supervisor ana / ana-demo-123
             (the certificate is signed by the development CA certs/out/ca.pem: import it in
             your browser, or accept the warning)
  Logs:      var/demo/gateway.log, var/demo/sim.log
  Store:     build/tools/ativa-admin --data var/demo/data conversations

Act as a customer (the simulator plays WhatsApp):
  export ATIVA_SIM_TOKEN=demo-controle ATIVA_SIM_CA=certs/out/ca.pem
  sim/ativa-sim-ctl reply --from 5511987654321 --line 1001 --text "Oi, tudo bem?"
  sim/ativa-sim-ctl reply --from 5521998877665 --line 1001 --text "Quero saber do meu pedido"
  sim/ativa-sim-ctl template-status pesquisa_satisfacao pt_BR APPROVED
  sim/ativa-sim-ctl sent          (what the gateway sent to "Meta")

Customers: Mariana 5511987654321 (wrote 2 h ago: window open), Carlos 5511976543210
(3 days ago: window closed), Fernanda 5521998877665 (never wrote), José 5582999448232
(WhatsApp knows him as 558299448232), Luíza 5531991234567 on line 1002.

Press Ctrl-C to stop.
TEXT
wait -n "${pids[@]}"
