#!/usr/bin/env bash
# Regenerates the OpenAPI example's Swift code from its document:
#   Sources/EventideExample/openapi.yaml + openapi-generator-config.yaml
#     -> Sources/EventideExample/Generated/ (Types.swift, Server.swift; committed)
# with swift-openapi-generator's command-line tool, checked out at GENERATOR_VERSION and built
# (debug) in .build/openapi-generator/.
#
#   scripts/generate-openapi.sh           rewrite the generated files
#   scripts/generate-openapi.sh --check   fail if they differ from what the document generates
#                                         (CI runs this once, after make test)
#
# Why committed instead of the generator's build plugin: the plugin builds the generator
# (OpenAPIKit, Yams, swift-algorithms, swift-collections) in every build that includes the
# example, and CI builds it four times (debug tests, TSan, ASan, release). Measured on the
# 2-core VM, 2026-12-07, `swift build --product eventide-example` from an empty .build,
# generated files committed vs plugin: debug 183 s vs 167 s wall (75 s more CPU: 151 vs
# 226 s user, the wall clock hidden by the load of other builds), release with
# --static-swift-stdlib (make build) 166 s vs 437 s wall (253 vs 616 s user): 4.5 minutes
# more for the release build alone, over the 1.5 minutes per build we allow. This check
# builds the generator once, in debug.
set -euo pipefail
cd "$(dirname "$0")/.."

GENERATOR_VERSION=1.14.3
EXAMPLE=Sources/EventideExample
OUTPUT=$EXAMPLE/Generated
TOOL_DIR=.build/openapi-generator

if [ ! -d "$TOOL_DIR/.git" ] || [ "$(git -C "$TOOL_DIR" describe --tags 2>/dev/null)" != "$GENERATOR_VERSION" ]; then
    rm -rf "$TOOL_DIR"
    mkdir -p .build
    git -c advice.detachedHead=false clone --quiet --branch "$GENERATOR_VERSION" \
        https://github.com/apple/swift-openapi-generator.git "$TOOL_DIR"
fi
swift build --package-path "$TOOL_DIR" --product swift-openapi-generator >&2
TOOL="$TOOL_DIR/.build/debug/swift-openapi-generator"

generate() {
    "$TOOL" generate --config "$EXAMPLE/openapi-generator-config.yaml" --output-directory "$1" "$EXAMPLE/openapi.yaml" >&2
}

if [ "${1:-}" = "--check" ]; then
    scratch=$(mktemp -d)
    trap 'rm -rf "$scratch"' EXIT
    generate "$scratch"
    if ! diff -r "$scratch" "$OUTPUT"; then
        echo "generate-openapi.sh: $OUTPUT is not what $EXAMPLE/openapi.yaml generates: run scripts/generate-openapi.sh" >&2
        exit 1
    fi
    echo "generate-openapi.sh: $OUTPUT matches $EXAMPLE/openapi.yaml (swift-openapi-generator $GENERATOR_VERSION)"
else
    rm -rf "$OUTPUT"
    mkdir -p "$OUTPUT"
    generate "$OUTPUT"
    echo "generate-openapi.sh: wrote $(ls "$OUTPUT" | tr '\n' ' ')"
fi
