"""The LSTM's skill memory: per head and per skill, a decayed sum of past attempts' values.

For attempt ``t`` and head ``h`` the read is the mean of the earlier attempts' values
``W_h x_tau``, each weighted by how many skills attempt ``tau`` shares with the exercise read
for times ``decay_h ** (t - tau)``, plus ``log(1 + total weight)`` (how much evidence there
is). :meth:`SkillMemory.reads` computes it for a whole training window at once;
:meth:`SkillMemory.step` and :meth:`SkillMemory.read` keep it as a state of skills × heads ×
(dim + 1) numbers, updated in O(1) per attempt, for serving (the two agree: tested). Each
head learns its own decay; they start from fast to slow (half-lives of about 1, 7 and 70
attempts with three heads).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from learnpath.seq.data import PAD_ID


class SkillMemory(nn.Module):
    def __init__(self, input_dim: int, skills: int, heads: int, dim: int) -> None:
        super().__init__()
        self.skills, self.heads, self.dim = skills, heads, dim
        self.values = nn.Linear(input_dim, heads * dim)
        rates = torch.logspace(-0.15, -2.15, heads) if heads > 1 else torch.tensor([0.1])
        self.rate = nn.Parameter(torch.log(torch.expm1(rates)))

    @property
    def width(self) -> int:
        """Numbers per read: each head's mean value and its evidence."""
        return self.heads * (self.dim + 1)

    def decay(self) -> torch.Tensor:
        """Each head's factor per attempt, exp(-softplus(rate)), in (0, 1)."""
        return torch.exp(-F.softplus(self.rate))

    def _hot(self, skills: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
        """(..., K) skill ids -> (..., skills) 0/1, padding left out."""
        hot = like.new_zeros(*skills.shape[:-1], self.skills)
        hot.scatter_(-1, skills, 1.0)
        hot[..., PAD_ID] = 0.0
        return hot

    def reads(self, steps: torch.Tensor, skills: torch.Tensor, mask: torch.Tensor
              ) -> torch.Tensor:
        """Attempt inputs (B, T, input_dim), their skills (B, T, K) and mask (B, T) -> the read
        at each step through its own exercise's skills, from the attempts before it:
        (B, T, width)."""
        batch, count, _ = steps.shape
        hot = self._hot(skills, steps)
        shared = (hot @ hot.transpose(1, 2)) * mask.unsqueeze(1).to(steps.dtype)
        position = torch.arange(count, device=steps.device)
        apart = (position.view(-1, 1) - position.view(1, -1)).to(steps.dtype)
        rates = F.softplus(self.rate).view(-1, 1, 1)
        decay = torch.exp(-rates * apart.clamp(min=0.0)) * (apart > 0)
        weights = shared.unsqueeze(1) * decay.unsqueeze(0)  # (B, heads, T, T)
        values = self.values(steps).view(batch, count, self.heads, -1).transpose(1, 2)
        total = weights.sum(-1, keepdim=True)
        means = (weights @ values) / total.clamp(min=1e-6)
        features = torch.cat([means, torch.log1p(total)], dim=-1)  # (B, heads, T, dim + 1)
        return features.transpose(1, 2).reshape(batch, count, -1)

    def initial(self, like: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The empty memory: value sums (1, heads, skills, dim) and weights (1, heads, skills)."""
        return (like.new_zeros(1, self.heads, self.skills, self.dim),
                like.new_zeros(1, self.heads, self.skills))

    def step(self, memory: tuple[torch.Tensor, ...], inputs: torch.Tensor,
             skills: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The memory of B learners after one more attempt each: inputs (B, input_dim), skills
        (B, K). The attempt is added, then everything decays once, so that at the next read an
        attempt ``n`` steps back weighs ``decay ** n``, as in :meth:`reads`."""
        sums, weights = memory
        hot = self._hot(skills, inputs)
        values = self.values(inputs).view(inputs.shape[0], self.heads, -1)
        decay = self.decay()
        added = hot.unsqueeze(1).unsqueeze(-1) * values.unsqueeze(2)
        return (decay.view(1, -1, 1, 1) * (sums + added),
                decay.view(1, -1, 1) * (weights + hot.unsqueeze(1)))

    def read(self, memory: tuple[torch.Tensor, ...], skills: torch.Tensor) -> torch.Tensor:
        """B stepped memories read through each of T exercises' skills (T, K): (B, T, width)."""
        sums, weights = memory
        hot = self._hot(skills, sums)
        total = torch.einsum("ts,bhs->bht", hot, weights).unsqueeze(-1)
        means = torch.einsum("ts,bhsd->bhtd", hot, sums) / total.clamp(min=1e-6)
        features = torch.cat([means, torch.log1p(total)], dim=-1)
        return features.transpose(1, 2).reshape(sums.shape[0], skills.shape[0], -1)
