# The gitops-render sidecar for argocd-repo-server: a static binary and the plugin manifest,
# running as Argo CD's uid 999. Published as ghcr.io/gitops-render/gitops-render-cmp:<version> by
# .github/workflows/release.yml; build it yourself: docker build -t gitops-render-cmp:0.1.0 .
FROM rust:1-bookworm AS build
RUN rustup target add x86_64-unknown-linux-musl && apt-get update && apt-get install -y --no-install-recommends musl-tools
WORKDIR /src
COPY . .
RUN cargo build --release --locked --target x86_64-unknown-linux-musl --bin gitops-render

FROM scratch
COPY --from=build /src/target/x86_64-unknown-linux-musl/release/gitops-render /usr/local/bin/gitops-render
COPY cmp/plugin.yaml /home/argocd/cmp-server/config/plugin.yaml
USER 999:999
ENV PATH=/usr/local/bin HOME=/home/argocd
# The entrypoint is Argo CD's cmp-server, copied in by the repo-server's init container into
# /var/run/argocd (see cmp/kustomize/repo-server-sidecar.yaml).
ENTRYPOINT ["/var/run/argocd/argocd-cmp-server"]
