#!/usr/bin/env bash
# Install Debian packages, or say clearly why not.  Used by `make setup`.
set -u
pkgs=("$@")
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then sudo="sudo -n"; else
    echo "error: ${pkgs[*]} missing and not root (no sudo): install them with apt-get" >&2; exit 1
  fi
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "error: ${pkgs[*]} missing and apt-get is not available: install them by hand" >&2; exit 1
fi
echo "installing ${pkgs[*]} with apt-get"
if ! { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${pkgs[@]}"; }; then
  echo "error: apt-get could not install ${pkgs[*]}" >&2; exit 1
fi
