# Courier: the front door. `make help` lists the targets.
#
#   make setup                  install what is missing (Rust targets, QEMU, UEFI firmware, mtools)
#   make run   [ARCH=x86_64|aarch64] [CPU=..] [GIC=2|3] [ACCEL=tcg|kvm] [COMMAND_LINE="..."]
#   make test  [LIMINE_DIR=..]  host unit tests, then the QEMU tests on both architectures
#   make check                  rustfmt, clippy (host and both targets, -D warnings), rustdoc, lint table
#   make build [ARCH=..]        build the kernel image(s) into target/courier/<arch>/
#   make image ARCH=.. LIMINE_DIR=..      a UEFI-bootable FAT image with Limine
#   make run-limine ARCH=.. LIMINE_DIR=.. boot that image under OVMF / AAVMF
#   make boot-cost [ARCH=..]    instructions from reset to the banner (-icount) and wall time
#   make bench [ARCH=..]        Courier and Linux side by side, in instructions under -icount (docs/benchmarks.md)

ARCH ?= x86_64
ACCEL ?= tcg
CARGO ?= cargo
HARNESS = $(CARGO) run --quiet --release -p courier-harness --

# Options passed to the harness only when set.
RUN_OPTIONS = --arch $(ARCH) --accel $(ACCEL)
ifneq ($(strip $(CPU)),)
RUN_OPTIONS += --cpu $(CPU)
endif
ifneq ($(strip $(GIC)),)
RUN_OPTIONS += --gic $(GIC)
endif
ifneq ($(strip $(MEMORY)),)
RUN_OPTIONS += --memory $(MEMORY)
endif
ifneq ($(strip $(LIMINE_DIR)),)
LIMINE_OPTIONS = --limine-dir $(LIMINE_DIR)
endif

# Bare-metal targets for clippy: the kernel, and the user side (libsys and programs).
KERNEL_TARGETS = x86_64-unknown-none aarch64-unknown-none-softfloat
USER_TARGETS = x86_64-unknown-none aarch64-unknown-none
USER_PACKAGE_NAMES = libsys $(shell awk -F'"' '/^name = /{print $$2; nextfile}' user/*/Cargo.toml servers/*/Cargo.toml 2>/dev/null)
USER_PACKAGES = $(patsubst %,-p %,$(USER_PACKAGE_NAMES))
# Host builds (tests, clippy) leave out the bare-metal-only packages.
HOST_EXCLUDES = $(patsubst %,--exclude %,$(USER_PACKAGE_NAMES))

.PHONY: help setup build kernel run test test-host test-qemu check fmt clippy doc lint-table \
	image run-limine boot-cost bench clean

help:
	@sed -n '2,13p' Makefile | sed 's/^# \{0,1\}//'

setup:
	@./tools/setup.sh

build kernel: setup
	$(HARNESS) build --arch $(ARCH)

run: setup
	$(HARNESS) run $(RUN_OPTIONS) $(if $(COMMAND_LINE),--command-line "$(COMMAND_LINE)")

test: setup test-host test-qemu

test-host:
	$(CARGO) test --workspace $(HOST_EXCLUDES) --quiet

test-qemu:
	$(HARNESS) test $(LIMINE_OPTIONS)

check: setup fmt lint-table clippy doc

fmt:
	$(CARGO) fmt --all --check

lint-table:
	@./tools/check-lints.sh

clippy:
	$(CARGO) clippy --workspace $(HOST_EXCLUDES) --all-targets -- -D warnings
	@for target in $(KERNEL_TARGETS); do \
		echo "clippy: microkernel for $$target"; \
		$(CARGO) clippy -p microkernel --target $$target -- -D warnings || exit 1; \
	done
	@for target in $(USER_TARGETS); do \
		echo "clippy: user side for $$target"; \
		$(CARGO) clippy $(USER_PACKAGES) --target $$target -- -D warnings || exit 1; \
	done

# The documentation includes private items (the kernel is read more than linked against),
# so links from public items to private ones are expected.
DOC_FLAGS = -D warnings -A rustdoc::private-intra-doc-links

doc:
	RUSTDOCFLAGS="$(DOC_FLAGS)" $(CARGO) doc --no-deps --document-private-items --quiet \
		-p courier-abi -p courier-program-link -p courier-harness -p microkernel
	@for target in $(KERNEL_TARGETS); do \
		RUSTDOCFLAGS="$(DOC_FLAGS)" $(CARGO) doc --no-deps --document-private-items --quiet \
			-p microkernel --target $$target || exit 1; \
	done
	RUSTDOCFLAGS="$(DOC_FLAGS)" $(CARGO) doc --no-deps --quiet -p libsys --target x86_64-unknown-none

image: setup
	$(HARNESS) image --arch $(ARCH) $(LIMINE_OPTIONS) $(if $(COMMAND_LINE),--command-line "$(COMMAND_LINE)")

run-limine: setup
	$(HARNESS) run-limine $(RUN_OPTIONS) $(LIMINE_OPTIONS) $(if $(COMMAND_LINE),--command-line "$(COMMAND_LINE)")

bench: setup
	$(HARNESS) bench $(if $(filter command line environment,$(origin ARCH)),--arch $(ARCH))

boot-cost: setup
	$(HARNESS) boot-cost $(if $(filter command line environment,$(origin ARCH)),--arch $(ARCH))

clean:
	$(CARGO) clean
