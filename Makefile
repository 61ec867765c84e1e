# sam build runs these targets for the functions with `BuildMethod: makefile` in template.yaml
# (aws-lambda-builders' CustomMake workflow): in a copy of the project (or the project itself
# with --build-in-source), with ARTIFACTS_DIR set to the function's artefact folder. Each target
# is the project's own build (scripts/build.ts): ESM split into chunks, so a database driver is
# loaded only when a secret of its engine rotates, with source maps beside the chunks.
# Run `npm ci` first: the build uses esbuild and tsx from node_modules.
BUILD = node --import tsx scripts/build.ts function

build-SecretRotationFunction:
	$(BUILD) functions/secret-rotation/handler.ts "$(ARTIFACTS_DIR)"

build-KeyRotationFunction:
	$(BUILD) functions/key-rotation/handler.ts "$(ARTIFACTS_DIR)"

build-CertificateExpiryFunction:
	$(BUILD) functions/certificate-expiry/handler.ts "$(ARTIFACTS_DIR)"

build-SecretFleetFunction:
	$(BUILD) functions/secret-fleet/handler.ts "$(ARTIFACTS_DIR)"

.PHONY: build-SecretRotationFunction build-KeyRotationFunction build-CertificateExpiryFunction build-SecretFleetFunction
