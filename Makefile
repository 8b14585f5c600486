# Revive: `make run` opens the workstation, `make test` runs every test. Both install what is missing.

APP := target/debug/revive-app
UI_DIST := ui/dist/index.html
UI_SOURCES := $(shell find ui/src ui/public ui/index.html ui/vite.config.ts ui/package-lock.json -type f 2>/dev/null)
XVFB := xvfb-run -a -s "-screen 0 1280x800x24"

.PHONY: run test deps test-deps test-rust test-ui test-e2e test-package app package clean screenshots bench bench-history certificate-samples fuzz

run: deps app
	$(APP)

test: test-deps test-rust test-ui test-e2e test-package

deps:
	@scripts/deps.sh

test-deps:
	@scripts/deps.sh --test

$(UI_DIST): $(UI_SOURCES)
	cd ui && npm run build

# Built with the tests' features, so after `cargo test` only the crates their test-only
# dependencies change are compiled again.
app: $(UI_DIST)
	cargo build -p revive-app -p fake-nvml -p revive-cli -p revive-test-postgres --features revive-app/bindings

# The bindings feature also writes the UI's TypeScript types from the Rust ones; if that changed
# anything git tracks, the committed types were stale.
test-rust: $(UI_DIST)
	cargo fmt --all --check
	cargo clippy --workspace --all-targets --features revive-app/bindings --quiet -- -D warnings
	cargo test --workspace --features revive-app/bindings
	@git diff --quiet -- ui/src/lib/bindings && [ -z "$$(git ls-files --others --exclude-standard ui/src/lib/bindings)" ] \
		|| { git status --short -- ui/src/lib/bindings; echo "ui/src/lib/bindings is stale: commit what cargo test wrote" >&2; exit 1; }

test-ui:
	cd ui && npm run check && npm test

test-e2e: app
	NO_AT_BRIDGE=1 WEBKIT_DISABLE_DMABUF_RENDERER=1 REVIVE_APP=$(CURDIR)/$(APP) \
		timeout --kill-after=10 1200 $(XVFB) dbus-run-session -- node --test --test-concurrency=1 --test-force-exit tests/e2e/

# The installable app under target/$(PROFILE)/bundle/: a .deb and an AppImage (scripts/appimage.sh).
# Besides the app they carry the `revive` CLI, the simulated bench's driver and scenarios, the
# procedures, fonts and rules. `make test` packages the debug build it has already made. The
# AppImage's runtime is optimised whatever PROFILE: at every start it hashes the whole AppImage.
PROFILE ?= release
PACKAGED = {"bundle": {"linux": {"deb": {"files": $(PACKAGE_FILES)}}}}
PACKAGE_FILES = {"/usr/bin/revive": "../target/$(PROFILE)/revive", "/usr/lib/Revive/libnvidia_ml_fake.so": "../target/$(PROFILE)/libnvidia_ml_fake.so"}
package: deps $(UI_DIST)
ifeq ($(PROFILE),debug)
	$(MAKE) app
else
	cargo build --release -p revive-app -p revive-cli -p fake-nvml
endif
	cargo build --release -p revive-appimage-runtime
	rm -rf target/$(PROFILE)/bundle
	ui/node_modules/.bin/tauri bundle --ci $(if $(filter debug,$(PROFILE)),--debug) --bundles deb --config '$(PACKAGED)'
	scripts/appimage.sh $(PROFILE)

# Installs the debug package on this machine (as root, or through sudo), drives the installed app
# and CLI, and uninstalls it; runs the AppImage's app and CLI.
test-package:
	$(MAKE) package PROFILE=debug
	NO_AT_BRIDGE=1 WEBKIT_DISABLE_DMABUF_RENDERER=1 REVIVE_APP=/usr/bin/revive-app REVIVE_DEB_DIR=$(CURDIR)/target/debug/bundle/deb \
		REVIVE_APPIMAGE_DIR=$(CURDIR)/target/debug/bundle/appimage \
		timeout --kill-after=10 600 $(XVFB) dbus-run-session -- node --test --test-concurrency=1 --test-force-exit tests/package/

clean:
	cargo clean
	rm -rf ui/dist ui/node_modules

screenshots: test-deps app
	NO_AT_BRIDGE=1 WEBKIT_DISABLE_DMABUF_RENDERER=1 REVIVE_APP=$(CURDIR)/$(APP) \
		$(XVFB) dbus-run-session -- node scripts/screenshots.mjs

bench: test-deps
	cargo bench -p revive-core --bench bench_figures
	cargo bench -p revive-certificate-pdf --bench render_sign

# History queries at shop scale: generates 1,000,000 jobs once (about 4 minutes, 3 GB under target/),
# then the same queries on the whole shop's PostgreSQL (loaded into a throwaway server, about 2 minutes).
bench-history: test-deps
	cargo bench -p revive-core --bench history
	cargo bench -p revive-shop --bench history

# The three sample certificates as PNGs under docs/ (English, Chinese, bilingual from the simulated bench),
# a ticket label on each roll, an intake receipt and a hand-over slip.
certificate-samples: test-deps
	cargo run -q -p revive-certificate-pdf --example samples -- docs/samples
	for name in certificate-en certificate-zh-CN certificate-bilingual-simulated intake-receipt hand-over-slip; do \
		pdftoppm -r 90 -png -singlefile docs/samples/$$name.pdf docs/$$name; done
	for size in dk62x29 dk62_continuous label50x30 label100x150; do \
		pdftoppm -r 200 -png -singlefile docs/samples/label-$$size.pdf docs/label-$$size; done

# Fuzzes one parser of outside input for SECONDS (nightly and cargo-fuzz; crates/fuzz/README.md),
# then cuts its corpus, which `make test` replays, to a few inputs that still reach every edge:
# make fuzz TARGET=money SECONDS=600.
fuzz: SECONDS ?= 600
fuzz:
	@[ -n "$(TARGET)" ] || { echo "make fuzz TARGET=<$$(ls crates/fuzz/fuzz_targets | sed 's/\.rs$$//' | paste -sd '|')>" >&2; exit 2; }
	cargo +nightly fuzz run --fuzz-dir crates/fuzz $(TARGET) -- -max_total_time=$(SECONDS) -rss_limit_mb=2048 -timeout=10
	cargo +nightly fuzz cmin --fuzz-dir crates/fuzz $(TARGET) -- -set_cover_merge=1 -use_counters=0
