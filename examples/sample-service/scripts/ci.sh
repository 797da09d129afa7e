#!/usr/bin/env bash
# Tests with coverage, and static analysis, writing the reports Gantry's gates read:
#   reports/junit.xml (JUnit), reports/cobertura-coverage.xml (Cobertura), reports/eslint.sarif (SARIF 2.1.0)
# It fails only when it cannot produce them: failing tests and findings are the gates' to judge
# (they say which tests failed), so a red test does not hide the coverage and findings.
set -uo pipefail
mkdir -p reports
tool() { command -v "$1" || echo "./node_modules/.bin/$1"; }
C8=$(tool c8)
ESLINT=$(tool eslint)
SARIF_FORMATTER="$(dirname "$(readlink -f "$ESLINT")")/../../@microsoft/eslint-formatter-sarif/sarif.js"

"$C8" --reporter=cobertura --reporter=text --reports-dir=reports --temp-directory=.c8 --all --src=src --exclude=src/server.js --exclude=test \
  node --test --test-reporter=junit --test-reporter-destination=reports/junit.xml \
  --test-reporter=spec --test-reporter-destination=stdout test/*.test.js
tests=$?

# Findings are judged by Gantry's gates, not by this script's exit status.
"$ESLINT" --format "$SARIF_FORMATTER" --output-file reports/eslint.sarif src/ || true
# SARIF locations relative to the repository, wherever the build ran.
sed -i "s#file://$PWD/##g" reports/eslint.sarif
echo "tests exited with status $tests"
test -s reports/junit.xml && test -s reports/cobertura-coverage.xml && test -s reports/eslint.sarif
