#!/usr/bin/env bash
# Benchmark: `tlsdoctor scan` and `diagnose` against scripted hostile servers
# (a small Python server on loopback that answers every ClientHello with the
# same first flight). Prints wall time, peak RSS and output size per case; the
# goal is: ends within the deadline, peak RSS under 30 MiB, a clear verdict.
#
#   bench/hostile.sh                          # release build
#   BIN=target/debug/tlsdoctor bench/hostile.sh
#
# Cases:
#   big-exponent   RSA key exchange, certificate with an 8 KiB RSA exponent
#                  (ROBOT must say "not tested: key too large", not compute)
#   big-modulus    the same with a 16384-bit modulus
#   cert-flood     a Certificate message of 40,000 empty entries
#   big-chain      a Certificate message of 60 × 2000-byte garbage entries
#   syn-flood.pcap `compare --client-hello` with a 200 MB pcap of 3.6 M
#                  SYN-only TCP streams and one ClientHello at the end
#                  (memory must not grow with the number of streams), and
#                  `explain` on the same file (every stream judged)
set -euo pipefail
# shellcheck source=bench/common.sh
. "$(dirname "$0")/common.sh"

cat >"$WORK/server.py" <<'EOF'
import os, socket, struct, sys, threading
port, case = int(sys.argv[1]), sys.argv[2]
def tlv(tag, c):
    n = len(c)
    if n < 0x80: return bytes([tag, n]) + c
    b = n.to_bytes((n.bit_length() + 7) // 8, "big"); return bytes([tag, 0x80 | len(b)]) + b + c
def seq(*p): return tlv(0x30, b"".join(p))
def integer(m): return tlv(2, (b"\x00" if m[0] & 0x80 else b"") + m)
def bits(b): return tlv(3, b"\x00" + b)
def rsa_cert(n, e):
    alg = seq(tlv(6, bytes.fromhex("2a864886f70d01010b")), b"\x05\x00")
    name = seq(tlv(0x31, seq(tlv(6, b"\x55\x04\x03"), tlv(0x0c, b"hostile"))))
    val = seq(tlv(0x17, b"250101000000Z"), tlv(0x17, b"350101000000Z"))
    spki = seq(seq(tlv(6, bytes.fromhex("2a864886f70d010101")), b"\x05\x00"), bits(seq(integer(n), integer(e))))
    return seq(seq(tlv(0xa0, integer(b"\x02")), integer(b"\x01"), alg, name, val, name, spki), alg, bits(b"\x5a" * 256))
def entry(der): return struct.pack(">I", len(der))[1:] + der
if case == "big-exponent": lst = entry(rsa_cert(b"\xc3" * 255 + b"\xc5", b"\xff" * 8192))
elif case == "big-modulus": lst = entry(rsa_cert(b"\xc3" * 2047 + b"\xc5", b"\x01\x00\x01"))
elif case == "cert-flood": lst = b"\x00\x00\x00" * 40000
elif case == "big-chain": lst = b"".join(entry(os.urandom(2000)) for _ in range(60))
else: sys.exit("unknown case " + case)
def hs(t, body): return bytes([t]) + struct.pack(">I", len(body))[1:] + body
hello = b"\x03\x03" + b"\x11" * 32 + b"\x00" + b"\x00\x2f\x00"
msgs = hs(2, hello) + hs(11, struct.pack(">I", len(lst))[1:] + lst) + hs(14, b"")
flight = b"".join(b"\x16\x03\x03" + struct.pack(">H", len(msgs[i:i + 16000])) + msgs[i:i + 16000]
                  for i in range(0, len(msgs), 16000))
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port)); s.listen(128)
def serve(c):
    try:
        c.settimeout(5); c.recv(4096); c.sendall(flight)
        while c.recv(4096): pass
    except Exception: pass
    finally: c.close()
while True:
    c, _ = s.accept(); threading.Thread(target=serve, args=(c,), daemon=True).start()
EOF


printf '%-14s %-9s %8s %10s %9s  %s\n' case command "time s" "RSS KiB" "out B" "verdict"
for case in big-exponent big-modulus cert-flood big-chain; do
  PORT=$(free_port)
  python3 "$WORK/server.py" "$PORT" "$case" &
  SPID=$!
  PIDS+=("$SPID")
  wait_port "$PORT"
  for cmd in scan diagnose; do
    /usr/bin/time -f "%e %M" -o "$WORK/time" "$BIN" "$cmd" "127.0.0.1:$PORT" --timeout 3 --json \
      >"$WORK/out.json" 2>/dev/null || true
    # (time writes "Command exited with non-zero status N" first on failure)
    read -r secs rss < <(tail -1 "$WORK/time")
    verdict=$(python3 - "$WORK/out.json" "$cmd" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
if sys.argv[2] == "scan":
    r = d["vulnerabilities"]["robot"]
    print("robot " + r["status"] + ": " + r["evidence"][:70])
else:
    print(d["verdict"] + " " + ",".join(x["code"] for x in d["diagnoses"])[:70])
EOF
)
    printf '%-14s %-9s %8s %10s %9s  %s\n' "$case" "$cmd" "$secs" "$rss" "$(wc -c <"$WORK/out.json")" "$verdict"
  done
  kill "$SPID" 2>/dev/null || true
done

# A capture of 3.6 M SYN-only streams, then one stream with a ClientHello.
cat >"$WORK/synflood.py" <<'PY'
import struct, sys
out = open(sys.argv[1], "wb")
out.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
def packet(src, sport, flags, payload=b""):
    tcp = struct.pack(">HHIIBBHHH", sport, 443, 1, 0, 0x50, flags, 65535, 0, 0) + payload
    ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0, 64, 6, 0, src, bytes([10, 0, 0, 1]))
    frame = b"\x00" * 12 + b"\x08\x00" + ip + tcp
    return struct.pack("<IIII", 0, 0, len(frame), len(frame)) + frame
chunk = []
for i in range(3_600_000):
    chunk.append(packet(bytes([10, 1 + i // 60000, 0, 2]), 1024 + i % 60000, 0x02))
    if len(chunk) == 100_000:
        out.write(b"".join(chunk)); chunk = []
out.write(b"".join(chunk))
body = (b"\x03\x03" + b"\x22" * 32 + b"\x00" + b"\x00\x04\x13\x01\xc0\x2f" + b"\x01\x00"
        + b"\x00\x07" + b"\x00\x2b\x00\x03\x02\x03\x04")
hs = b"\x01" + struct.pack(">I", len(body))[1:] + body
record = b"\x16\x03\x01" + struct.pack(">H", len(hs)) + hs
out.write(packet(bytes([10, 200, 0, 2]), 999, 0x18, record))
PY
python3 "$WORK/synflood.py" "$WORK/syn-flood.pcap"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=localhost \
  -keyout "$WORK/key.pem" -out "$WORK/cert.pem" -days 2 2>/dev/null
PORT=$(free_port)
openssl s_server -accept "127.0.0.1:$PORT" -cert "$WORK/cert.pem" -key "$WORK/key.pem" -www -quiet \
  </dev/null >/dev/null 2>&1 &
PIDS+=("$!")
wait_port "$PORT"
/usr/bin/time -f "%e %M" -o "$WORK/time" "$BIN" compare --client-hello "$WORK/syn-flood.pcap" \
  "127.0.0.1:$PORT" --timeout 3 --json >"$WORK/out.json" 2>"$WORK/err" || true
read -r secs rss < <(tail -1 "$WORK/time")
found=$(grep -ho 'pcap stream [0-9]*' "$WORK/out.json" "$WORK/err" | head -1 || true)
printf '%-14s %-9s %8s %10s %9s  %s\n' syn-flood.pcap compare "$secs" "$rss" \
  "$(stat -c %s "$WORK/syn-flood.pcap")" "hello: ${found:-not found}"
/usr/bin/time -f "%e %M" -o "$WORK/time" "$BIN" explain "$WORK/syn-flood.pcap" --json \
  >"$WORK/out.json" 2>"$WORK/err" || true
read -r secs rss < <(tail -1 "$WORK/time")
shown=$(python3 -c 'import json,sys; a=json.load(open(sys.argv[1])); print(len(a["connections"]), "shown,", a["omitted"], "more")' \
  "$WORK/out.json" 2>/dev/null || echo "no answer")
printf '%-14s %-9s %8s %10s %9s  %s\n' syn-flood.pcap explain "$secs" "$rss" \
  "$(wc -c <"$WORK/out.json")" "connections: $shown"
