/** @file A small linear-Gaussian model with a data-reading guide, for runtime tests that need a compiled model fast. */
export const tinySource = `
model tiny(x_dim = 2, z_dim = 2) {
  observe x[t] : real[x_dim]
  latent  z[t] : real[z_dim]
  net A = linear(z_dim -> z_dim)
  net C = linear(z_dim -> x_dim)
  net E = linear(x_dim + z_dim -> z_dim)
  prior    z[t] ~ Normal(A(z[t-1]), 0.5)
  emission x[t] ~ Normal(C(z[t]), 0.7)
  guide    z[t] ~ Normal(E(x[t], z[t-1]), 0.6)
}
`;
