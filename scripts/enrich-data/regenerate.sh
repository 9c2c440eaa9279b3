#!/usr/bin/env bash
# Rebuilds enrich/data/networks.bin.gz from the ip-location-db npm packages.
#
#   scripts/enrich-data/regenerate.sh            # the pinned versions below
#   VERSION=<npm version> scripts/enrich-data/regenerate.sh
#
# Needs npm and go. The packages are fetched with `npm pack` into a temporary
# directory that is removed afterwards; nothing lands in node_modules.
# Sources (see enrich/README.md and enrich/data/LICENSE-DATA.md):
#   @ip-location-db/asn                    IP range -> AS number and organisation
#   @ip-location-db/geo-whois-asn-country  IPv4 range -> country
#   @ip-location-db/asn-country            IPv6 range -> country
# The IPv6 file of geo-whois-asn-country puts large Japanese blocks (WIDE,
# KDDI) in AU, so IPv6 countries come from asn-country instead.
set -euo pipefail

VERSION="${VERSION:-2.3.2026061719}"
root="$(cd "$(dirname "$0")/../.." && pwd)"
out="$root/enrich/data/networks.bin.gz"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

cd "$tmp"
for pkg in asn geo-whois-asn-country asn-country; do
	npm pack --silent "@ip-location-db/$pkg@$VERSION" >/dev/null
	mkdir "$pkg"
	tar -xzf "ip-location-db-$pkg-$VERSION.tgz" -C "$pkg" --strip-components=1
done

source="ip-location-db $VERSION: asn (RouteViews, NRO, DB-IP; CC BY 4.0), geo-whois-asn-country (IPv4), asn-country (IPv6)"

cd "$root"
go run scripts/enrich-data/main.go \
	-asn4 "$tmp/asn/asn-ipv4.csv" \
	-asn6 "$tmp/asn/asn-ipv6.csv" \
	-country4 "$tmp/geo-whois-asn-country/geo-whois-asn-country-ipv4.csv" \
	-country6 "$tmp/asn-country/asn-country-ipv6.csv" \
	-source "$source" \
	-out "$out"

ls -l "$out"
