"""The benchmark's peer: the VRNN, VRNN-GMM, STORN and RNN models of bench/ in idiomatic PyTorch.

Each class mirrors the .seq model the bench compiles, parameter for parameter (the bench asserts
the counts are equal): the same nets with the same widths, Normal.head as two linear layers to a
location and a softplus(.) + 1e-4 scale, mixture heads as linear layers to K logits, K*n
locations and K*n scales, and the same loss, -(sum of log-likelihoods - beta * KL) per valid
step. Our LSTM has one bias per gate (bias_ih); PyTorch's cells have two, so bias_hh is zeroed
and frozen and only trainable parameters are counted.

What a careful PyTorch user writes: work that does not need the recurrence runs batched over all
T*B positions (the input MLP before the loop; priors, decoders, densities and KL after it), the
Python loop runs only the recurrence, and recurrences that do not depend on a sample (STORN's
networks, the RNN baseline) use nn.LSTM over the whole sequence.
"""
import math

import torch
from torch import nn
import torch.nn.functional as F

MIN_SCALE = 1e-4
LOG_2PI = math.log(2 * math.pi)


def mlp(sizes):
    """Linear layers of the given sizes, each followed by a ReLU (our `mlp(..., act = relu)`)."""
    layers = []
    for i, o in zip(sizes[:-1], sizes[1:]):
        layers += [nn.Linear(i, o), nn.ReLU()]
    return nn.Sequential(*layers)


def one_bias(cell):
    """Freezes an LSTM's second bias at zero, so it has our parameters (one bias per gate)."""
    for name, p in cell.named_parameters():
        if name.startswith("bias_hh"):
            nn.init.zeros_(p)
            p.requires_grad_(False)
    return cell


class NormalHead(nn.Module):
    """Normal.head(v, n): a location and a softplus scale, each a linear layer of v."""

    def __init__(self, f, n):
        super().__init__()
        self.loc = nn.Linear(f, n)
        self.scale = nn.Linear(f, n)

    def forward(self, v):
        return self.loc(v), F.softplus(self.scale(v)) + MIN_SCALE


class MixtureHead(nn.Module):
    """MixtureNormal.head(v, n, k): K logits, K*n locations and K*n softplus scales."""

    def __init__(self, f, n, k):
        super().__init__()
        self.n, self.k = n, k
        self.logits = nn.Linear(f, k)
        self.locs = nn.Linear(f, k * n)
        self.scales = nn.Linear(f, k * n)

    def forward(self, v):
        shape = v.shape[:-1] + (self.k, self.n)
        return self.logits(v), self.locs(v).view(shape), (F.softplus(self.scales(v)) + MIN_SCALE).view(shape)


def normal_log_prob(x, loc, scale):
    """Diagonal Normal log-density summed over the last axis."""
    z = (x - loc) / scale
    return (-0.5 * z * z - scale.log() - 0.5 * LOG_2PI).sum(-1)


def mixture_log_prob(x, logits, locs, scales):
    """log sum_k pi_k N(x | loc_k, scale_k), components along axis -2."""
    comp = normal_log_prob(x.unsqueeze(-2), locs, scales)
    return torch.logsumexp(F.log_softmax(logits, -1) + comp, -1)


def kl_normal(mq, sq, mp, sp):
    """KL(N(mq, sq^2) || N(mp, sp^2)) summed over the last axis."""
    return (sp.log() - sq.log() + (sq * sq + (mq - mp) ** 2) / (2 * sp * sp) - 0.5).sum(-1)


def shift(seq, first):
    """seq[t-1] for every t, with `first` at t = 0 (seq is [T, B, w])."""
    return torch.cat([first.unsqueeze(0), seq[:-1]], 0)


class VRNN(nn.Module):
    """Chung et al. 2015 (examples/vrnn.seq; with k > 0 the GMM emission of vrnn_gmm.seq)."""

    def __init__(self, x, z, h, f, mlp_layers=(1, 1), k=0):
        super().__init__()
        px, other = mlp_layers  # linear layers in phi_x, and in every other MLP
        self.h_dim = h
        self.phi_x = mlp([x] + [f] * px)
        self.phi_z = mlp([z] + [f] * other)
        self.prior_net = mlp([h] + [f] * other)
        self.enc_net = mlp([f + h] + [f] * other)
        self.dec_net = mlp([f + h] + [f] * other)
        self.rnn = one_bias(nn.LSTMCell(f + f, h))
        self.prior = NormalHead(f, z)
        self.guide = NormalHead(f, z)
        self.emission = MixtureHead(f, x, k) if k > 0 else NormalHead(f, x)

    def forward(self, x, eps, beta):
        T, B, _ = x.shape
        fx = self.phi_x(x)
        h = x.new_zeros(B, self.h_dim)
        c = x.new_zeros(B, self.h_dim)
        hs, fzs, qs = [], [], []
        for t in range(T):
            mq, sq = self.guide(self.enc_net(torch.cat([fx[t], h], -1)))
            fz = self.phi_z(mq + sq * eps[t])
            hs.append(h)
            fzs.append(fz)
            qs.append((mq, sq))
            h, c = self.rnn(torch.cat([fx[t], fz], -1), (h, c))
        hp, fz = torch.stack(hs), torch.stack(fzs)
        mq, sq = torch.stack([q[0] for q in qs]), torch.stack([q[1] for q in qs])
        mp, sp = self.prior(self.prior_net(hp))
        out = self.emission(self.dec_net(torch.cat([fz, hp], -1)))
        ll = mixture_log_prob(x, *out) if isinstance(self.emission, MixtureHead) else normal_log_prob(x, *out)
        kl = kl_normal(mq, sq, mp, sp)
        return -(ll - beta * kl).sum() / (T * B)


class STORN(nn.Module):
    """Bayer & Osendorfer 2014 (examples/storn.seq): every recurrence runs as one nn.LSTM."""

    def __init__(self, x, z, h):
        super().__init__()
        self.z_dim = z
        self.gen = one_bias(nn.LSTM(z + x, h))
        self.rec = one_bias(nn.LSTM(x, h))
        self.q = nn.Linear(h, 2 * z)
        self.emission = NormalHead(h, x)

    def forward(self, x, eps, beta):
        T, B, _ = x.shape
        g, _ = self.rec(x)
        o = self.q(g)
        mq, sq = o[..., : self.z_dim], o[..., self.z_dim:].abs() + MIN_SCALE
        hs, _ = self.gen(torch.cat([mq + sq * eps, shift(x, x.new_zeros(B, x.shape[2]))], -1))
        ll = normal_log_prob(x, *self.emission(hs))
        kl = kl_normal(mq, sq, torch.zeros_like(mq), torch.ones_like(sq))
        return -(ll - beta * kl).sum() / (T * B)


class RNN(nn.Module):
    """The RNN-Normal baseline (examples/rnn_normal.seq)."""

    def __init__(self, x, h, f, mlp_layers=(2, 1)):
        super().__init__()
        px, other = mlp_layers
        self.phi_x = mlp([x] + [f] * px)
        self.out_net = mlp([h] + [f] * other)
        self.rnn = one_bias(nn.LSTM(f, h))
        self.emission = NormalHead(f, x)

    def forward(self, x, eps, beta):
        T, B, _ = x.shape
        hs, _ = self.rnn(self.phi_x(x))
        hp = shift(hs, hs.new_zeros(B, hs.shape[2]))
        return -normal_log_prob(x, *self.emission(self.out_net(hp))).sum() / (T * B)


def build(kind, dims):
    """The model of a bench configuration: `dims` holds the .seq file's hyperparameters."""
    layers = (dims.get("phi_x_layers", 2), dims.get("mlp_layers", 1))
    if kind == "vrnn":
        return VRNN(dims["x_dim"], dims["z_dim"], dims["h_dim"], dims["f_dim"], layers)
    if kind == "vrnn_gmm":
        return VRNN(dims["x_dim"], dims["z_dim"], dims["h_dim"], dims["f_dim"], layers, k=dims["k"])
    if kind == "storn":
        return STORN(dims["x_dim"], dims["z_dim"], dims["h_dim"])
    if kind == "rnn":
        return RNN(dims["x_dim"], dims["h_dim"], dims["f_dim"], layers)
    raise ValueError(f"unknown model {kind}")


def trainable_parameters(model):
    """Number of trainable scalars (what our manifest counts)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
