# Corral: `make run` builds and opens the window; `make test` runs every test.
# Both install what they need on Debian/Ubuntu (build/scripts/deps.sh) and are quick when
# everything is already there.

SHELL       := /bin/bash
.SHELLFLAGS := -euo pipefail -c
export PATH := $(PATH):/usr/local/go/bin:$(HOME)/go/bin

VERSION ?= 0.1.0
COMMIT  := $(shell git rev-parse --short=12 HEAD 2>/dev/null)$(shell git diff --quiet HEAD -- 2>/dev/null || echo -dirty)
TAGS    := desktop,production,webkit2_41
LDFLAGS := -s -w -X main.version=$(VERSION) -X main.commit=$(COMMIT)
BIN     := bin/corral
DESKTOP_BIN := bin/corral-desktop
ARTIFACTS ?= $(CURDIR)/artifacts
GOLANGCI_VERSION := v2.15.0
TOOLS   := $(CURDIR)/bin/tools

FRONTEND_SRC := $(shell find frontend/src frontend/public -type f 2>/dev/null) \
	frontend/index.html frontend/package.json frontend/package-lock.json \
	frontend/vite.config.ts frontend/svelte.config.js frontend/tsconfig.json

.PHONY: run build deps test-deps docker-deps frontend test test-go test-frontend test-e2e lint bench package package-check deb exe icons clean

## run: install what is missing, build, and open the window
run: build
	./$(BIN)

## build: bin/corral (headless: every command, `corral serve`; no GTK/WebKit, so it starts
## fast), bin/corral-desktop (the window, which `corral` with no command becomes) and
## bin/corral-sandbox-init (the local sandbox's small static launcher); UI embedded
build: deps frontend
	CGO_ENABLED=0 go build -ldflags "$(LDFLAGS)" -o $(BIN) .
	go build -tags $(TAGS) -ldflags "$(LDFLAGS)" -o $(DESKTOP_BIN) .
	CGO_ENABLED=0 go build -ldflags "-s -w" -o $(dir $(BIN))corral-sandbox-init ./cmd/corral-sandbox-init

deps:
	@build/scripts/deps.sh run

test-deps:
	@build/scripts/deps.sh test

frontend/node_modules/.package-lock.json: frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund
	@touch $@

## frontend: the UI bundle in frontend/dist
frontend: frontend/dist/index.html
frontend/dist/index.html: frontend/node_modules/.package-lock.json $(FRONTEND_SRC)
	cd frontend && npm run build

## test: every test: Go unit tests, frontend checks and unit tests, browser and desktop end to end
test: test-deps test-frontend test-go test-e2e

## docker-deps: a running Docker engine and the sandbox test image (installs docker.io, starts dockerd)
docker-deps:
	@command -v dockerd >/dev/null || { s=; [ "$$(id -u)" -eq 0 ] || s=sudo; $$s apt-get update -q; \
		DEBIAN_FRONTEND=noninteractive $$s apt-get install -y -q --no-install-recommends docker.io; }
	@docker info >/dev/null 2>&1 || { s=; [ "$$(id -u)" -eq 0 ] || s=sudo; \
		echo "docker-deps: starting dockerd (log: /tmp/dockerd.log)"; \
		$$s sh -c 'dockerd >/tmp/dockerd.log 2>&1 &'; \
		for i in $$(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 0.5; done; \
		docker info >/dev/null 2>&1 || { echo "docker-deps: no engine after 30 s, see /tmp/dockerd.log" >&2; exit 1; }; }
	@build/scripts/docker-test-image.sh

test-frontend: frontend
	cd frontend && npm run check && npm test

test-go: frontend docker-deps
	go test -count=1 -timeout 30m ./...
	go test ./backend/trace -run '^$$' -fuzz '^FuzzImport$$' -fuzztime 20s -fuzzminimizetime 3s

test-e2e: build
	mkdir -p $(ARTIFACTS)
	CORRAL_BIN=$(CURDIR)/$(BIN) CORRAL_ARTIFACTS=$(ARTIFACTS) go test -tags e2e -count=1 -v ./e2e/

## lint: go vet, gofmt, golangci-lint (with depguard for the layering rules)
lint: frontend
	go vet ./...
	go vet -tags e2e ./e2e/
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }
	@[ -x $(TOOLS)/golangci-lint ] && $(TOOLS)/golangci-lint version | grep -q $(GOLANGCI_VERSION:v%=%) \
		|| GOBIN=$(TOOLS) go install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_VERSION)
	$(TOOLS)/golangci-lint run ./...

## bench: every Go benchmark, then the end-to-end ones against the built binaries (open and
## pan a 10,000-step trace, open a 100,000-step one, a file written in the workspace reaching
## the tree, in Chromium; the window's start and memory under Xvfb; the CLI's start and its
## read-only commands on a million-step journal)
bench: build test-deps docker-deps
	go test -run '^$$' -bench . -benchmem ./...
	cd frontend && npm run bench
	CORRAL_BIN=$(CURDIR)/$(BIN) CORRAL_ARTIFACTS=$(ARTIFACTS) go test -tags e2e -run '^$$' -bench . -benchtime 5x ./e2e/

## package: dist/corral_VERSION_amd64.deb and dist/corral.exe
package: deb exe
deb: build
	build/linux/package-deb.sh $(BIN) $(DESKTOP_BIN) $(VERSION) dist
exe: deps frontend
	COMMIT=$(COMMIT) build/windows/build-exe.sh $(VERSION) dist/corral.exe

## package-check: build the packages, install the .deb, launch its menu entry, check the .exe
package-check: package test-deps
	build/scripts/package-check.sh dist/corral_$(VERSION)_amd64.deb dist/corral.exe

## icons: regenerate the PNG/ICO icons from build/appicon.svg (needs librsvg2-bin, icoutils)
icons:
	build/icons.sh

clean:
	rm -rf bin dist artifacts frontend/dist
