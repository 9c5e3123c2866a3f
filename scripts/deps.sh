#!/usr/bin/env bash
# Install the Debian packages tornpage needs, only those that are missing.
set -euo pipefail
pkgs=(build-essential cmake clang libclang-rt-14-dev libdeflate-dev libfiu-dev fiu-utils
      libcriterion-dev libxml2-utils jq libjson-c-dev libxxhash-dev zip)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  SUDO=; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
# Headless Chromium renders the HTML report in ctest (scripts/html-check.sh); without its
# recommends (desktop integration, not needed headless): about 40 s to install.
if ! dpkg-query -W -f='${Status}' chromium 2>/dev/null | grep -q "install ok installed"; then
  echo "installing: chromium"
  SUDO=; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi
