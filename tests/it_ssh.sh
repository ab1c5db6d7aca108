#!/bin/bash
# Integration test: OpenSSH uses kerntok keys.  `ssh-keygen -D` lists the
# token's RSA and ECDSA public keys without a PIN (public key objects are not
# private); an ssh-agent started here loads the module (`ssh-add -s`, the PIN
# from an SSH_ASKPASS script), lists the keys, and signs files through the
# agent (`ssh-keygen -Y sign`), which `ssh-keygen -Y verify` accepts.
# Run by tests/run-integration.sh from the repository root, inside
# `keyctl session -`, with KERNTOK_DIR (a fresh store) and KT_BUILD exported.
set -euo pipefail
# a command that fails outside the explicit checks still says what failed
trap 'echo "FAIL: line $LINENO: $BASH_COMMAND (exit $?)"' ERR

. "$(dirname "$0")/lib_it.sh"
MOD=$(realpath "$MOD")        # ssh-agent matches -P against the real path
SO_PIN=12345678
PIN=1234
LABEL=ssh
[ -x "$KT" ] || { echo "FAIL: no kerntok CLI at $KT"; exit 1; }
for c in ssh-keygen ssh-agent ssh-add pkcs11-tool setsid; do
  command -v $c >/dev/null || { echo "FAIL: $c missing (apt install openssh-client opensc util-linux)"; exit 1; }
done

work=$(mktemp -d /tmp/kt-it-ssh.XXXXXX)
agent_pid=
cleanup() {
  [ -n "$agent_pid" ] && kill "$agent_pid" 2>/dev/null
  kt_unlink_store
  rm -rf "$work"
}
trap cleanup EXIT

p11u() { pkcs11-tool --module "$MOD" --token-label "$LABEL" --login --pin "$PIN" "$@"; }
# "type base64" of an OpenSSH public key line (drops the comment)
keybody() { awk '{ print $1, $2 }' "$@"; }

# --------------------------------------------------------------------------
step "token $LABEL with an RSA 2048 and an EC P-256 key pair"
must "$KT" init --label "$LABEL" --so-pin "$SO_PIN" --pin "$PIN"
must p11u --keypairgen --key-type rsa:2048 --label ssh-rsa --id 01
must p11u --keypairgen --key-type EC:prime256v1 --label ssh-ec --id 02
# the same public keys as OpenSSH lines, from the DER pkcs11-tool exports
for id in 01 02; do
  pkcs11-tool --module "$MOD" --token-label "$LABEL" --read-object --type pubkey --id "$id" \
    -o "$work/pub$id.der" >/dev/null 2>&1 || fail "cannot export public key $id"
  openssl pkey -pubin -inform DER -in "$work/pub$id.der" -out "$work/pub$id.pem"
  ssh-keygen -i -m PKCS8 -f "$work/pub$id.pem" >"$work/pub$id.ssh" ||
    fail "ssh-keygen cannot convert public key $id"
done
grep -q '^ssh-rsa ' "$work/pub01.ssh" || fail "key 01 is not ssh-rsa"
grep -q '^ecdsa-sha2-nistp256 ' "$work/pub02.ssh" || fail "key 02 is not ecdsa-sha2-nistp256"
ok "keys generated; OpenSSH forms of the exported public keys"

step "ssh-keygen -D lists both public keys, without a PIN"
out=$(ssh-keygen -D "$MOD" </dev/null 2>&1) || { echo "$out"; fail "ssh-keygen -D failed"; }
echo "$out"
grep -E '^(ssh-|ecdsa-)' <<<"$out" >"$work/listed"
[ "$(wc -l <"$work/listed")" = 2 ] || fail "ssh-keygen -D lists $(wc -l <"$work/listed") keys, not 2"
for id in 01 02; do
  grep -qxF "$(keybody "$work/pub$id.ssh")" <(keybody "$work/listed") ||
    fail "ssh-keygen -D does not list public key $id"
done
ok "ssh-keygen -D: ssh-rsa and ecdsa-sha2-nistp256, equal to the token's keys"

# --------------------------------------------------------------------------
step "ssh-agent (PKCS#11 providers allowed from $(dirname "$MOD")), ssh-add -s"
ssh-agent -s -P "$(dirname "$MOD")/*" >"$work/agent.env"
. "$work/agent.env" >/dev/null
agent_pid=$SSH_AGENT_PID
[ -n "$agent_pid" ] && [ -S "$SSH_AUTH_SOCK" ] || fail "ssh-agent did not start"
export SSH_AUTH_SOCK
# ssh-add asks for the PIN through SSH_ASKPASS: no terminal (setsid -w)
cat >"$work/askpass" <<EOF
#!/bin/sh
echo "$PIN"
EOF
chmod 700 "$work/askpass"
out=$(SSH_ASKPASS="$work/askpass" SSH_ASKPASS_REQUIRE=force DISPLAY=dummy \
      setsid -w ssh-add -s "$MOD" </dev/null 2>&1) || { echo "$out"; fail "ssh-add -s failed"; }
echo "$out"
grep -q 'Card added' <<<"$out" || fail "ssh-add -s did not say 'Card added'"
out=$(ssh-add -l 2>&1) || { echo "$out"; fail "ssh-add -l failed"; }
echo "$out"
grep -q '(RSA)$' <<<"$out" || fail "ssh-add -l: no RSA key"
grep -q '(ECDSA)$' <<<"$out" || fail "ssh-add -l: no ECDSA key"
[ "$(grep -c . <<<"$out")" = 2 ] || fail "ssh-add -l: not 2 keys"
for id in 01 02; do
  fp=$(ssh-keygen -l -f "$work/pub$id.ssh" | awk '{ print $2 }')
  grep -qF " $fp " <<<"$out" || fail "ssh-add -l does not list key $id ($fp)"
done
ssh-add -L >"$work/agent.pub" || fail "ssh-add -L failed"
for id in 01 02; do
  grep -qxF "$(keybody "$work/pub$id.ssh")" <(keybody "$work/agent.pub") ||
    fail "ssh-add -L does not give public key $id"
done
ok "the agent holds both token keys"

# --------------------------------------------------------------------------
step "ssh-keygen -Y sign through the agent, ssh-keygen -Y verify"
head -c 10000 /dev/urandom >"$work/data"
cp "$work/data" "$work/data.bad"
printf 'x' >>"$work/data.bad"
for id in 01 02; do
  printf 'kt@kerntok %s\n' "$(keybody "$work/pub$id.ssh")" >"$work/allowed$id"
  cp "$work/pub$id.ssh" "$work/key$id.pub"
  rm -f "$work/data.sig"
  # with a public key file, ssh-keygen -Y sign asks the agent (SSH_AUTH_SOCK)
  must ssh-keygen -Y sign -f "$work/key$id.pub" -n file "$work/data" </dev/null
  [ -s "$work/data.sig" ] || fail "key $id: no signature file"
  if [ "$id" = 01 ]; then       # the SSHSIG blob names the RSA signature algorithm
    grep -v -- '-----' "$work/data.sig" | base64 -d | grep -qa 'rsa-sha2-512' ||
      fail "RSA signature is not rsa-sha2-512"
  fi
  out=$(ssh-keygen -Y verify -f "$work/allowed$id" -I kt@kerntok -n file \
        -s "$work/data.sig" <"$work/data" 2>&1) || { echo "$out"; fail "key $id: signature rejected"; }
  echo "$out"
  grep -q 'Good "file" signature for kt@kerntok' <<<"$out" || fail "key $id: no good signature"
  if ssh-keygen -Y verify -f "$work/allowed$id" -I kt@kerntok -n file \
       -s "$work/data.sig" <"$work/data.bad" >/dev/null 2>&1; then
    fail "key $id: signature over other data accepted"
  fi
  if ssh-keygen -Y verify -f "$work/allowed$id" -I kt@kerntok -n other \
       -s "$work/data.sig" <"$work/data" >/dev/null 2>&1; then
    fail "key $id: signature accepted in another namespace"
  fi
done
ok "RSA (rsa-sha2-512) and ECDSA signatures made by the agent with token keys verify"

step "ssh-add -e removes the token's keys"
must ssh-add -e "$MOD" </dev/null
rc=0
out=$(ssh-add -l 2>&1) || rc=$?
echo "$out"
[ "$rc" = 1 ] && grep -q 'no identities' <<<"$out" || fail "keys still in the agent after ssh-add -e"
ok "provider removed"

kill "$agent_pid"
agent_pid=
echo "PASS: $checks checks"
