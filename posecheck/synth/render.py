"""Renders the figure: ray-cast capsules and spheres with a z-buffer, Lambert shading, a face,
hair and clothes, on a mat on a floor in a plain room, through a pinhole camera.

Rendering happens at ``internal_scale`` of the output size and is upscaled, which softens
edges like a webcam does and keeps a 640x480 frame in a few tens of milliseconds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from posecheck.synth.body import SIDE_SIGN, Body, Pose, joints


@dataclass(frozen=True)
class Camera:
    position: tuple[float, float, float]
    target: tuple[float, float, float]
    fov_deg: float = 58.0
    size: tuple[int, int] = (640, 480)

    def basis(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        c, t = np.array(self.position, float), np.array(self.target, float)
        fwd = (t - c) / np.linalg.norm(t - c)
        right = np.cross(fwd, [0.0, 1.0, 0.0])
        right /= np.linalg.norm(right)
        up = np.cross(right, fwd)
        return fwd, right, up

    @property
    def focal(self) -> float:
        return (self.size[1] / 2) / math.tan(math.radians(self.fov_deg) / 2)

    def project(self, p: np.ndarray) -> np.ndarray:
        """Pixel coordinates (x, y) of world points (..., 3)."""
        fwd, right, up = self.basis()
        d = np.asarray(p, float) - np.array(self.position)
        z = d @ fwd
        f = self.focal
        return np.stack(
            [self.size[0] / 2 + f * (d @ right) / z, self.size[1] / 2 - f * (d @ up) / z], -1
        )


@dataclass(frozen=True)
class Look:
    """Colours (BGR, 0-255) and lighting of one clip."""

    skin: tuple[int, int, int] = (140, 170, 215)
    shirt: tuple[int, int, int] = (170, 90, 40)
    pants: tuple[int, int, int] = (50, 45, 45)
    hair: tuple[int, int, int] = (30, 35, 45)
    shoes: tuple[int, int, int] = (235, 235, 235)
    mat: tuple[int, int, int] = (120, 150, 60)
    floor: tuple[int, int, int] = (120, 150, 180)
    wall: tuple[int, int, int] = (215, 220, 222)
    light: tuple[float, float, float] = (0.35, 0.85, 0.4)
    ambient: float = 0.38


def _sky(cam: Camera, scale: float) -> tuple[np.ndarray, np.ndarray]:
    """Ray directions (h, w, 3) at the internal resolution, and the camera origin."""
    w, h = int(cam.size[0] * scale), int(cam.size[1] * scale)
    fwd, right, up = cam.basis()
    f = cam.focal * scale
    u = (np.arange(w) + 0.5 - w / 2) / f
    v = (np.arange(h) + 0.5 - h / 2) / f
    d = (
        fwd[None, None, :]
        + u[None, :, None] * right[None, None, :]
        - v[:, None, None] * up[None, None, :]
    )
    d /= np.linalg.norm(d, axis=-1, keepdims=True)
    return d.astype(np.float32), np.array(cam.position, np.float32)


def _background(cam: Camera, look: Look, scale: float, mat: tuple[float, float, float, float]):
    rd, ro = _sky(cam, scale)
    h, w = rd.shape[:2]
    img = np.empty((h, w, 3), np.float32)
    wall = np.array(look.wall, np.float32)
    # wall: darker towards the floor line
    shade = 0.82 + 0.18 * np.clip(rd[..., 1] * 2 + 0.5, 0, 1)
    img[:] = wall * shade[..., None]
    down = rd[..., 1] < -1e-4
    t = np.where(down, -ro[1] / np.where(down, rd[..., 1], -1), np.inf)
    hit = down & (t < 9.0)
    px = ro[0] + t * rd[..., 0]
    pz = ro[2] + t * rd[..., 2]
    floor = np.array(look.floor, np.float32)
    stripes = np.floor(np.nan_to_num(pz, posinf=0.0, neginf=0.0) / 0.18).astype(np.int64) % 2
    boards = 0.93 + 0.07 * stripes
    fade = np.clip(1.0 - t / 12, 0.55, 1.0)
    col = floor * (boards * fade)[..., None]
    x0, x1, z0, z1 = mat
    on_mat = hit & (px > x0) & (px < x1) & (pz > z0) & (pz < z1)
    col = np.where(on_mat[..., None], np.array(look.mat, np.float32) * fade[..., None], col)
    img = np.where(hit[..., None], col, img)
    depth = np.where(hit, t, np.inf).astype(np.float32)
    return img, depth, rd, ro


def _capsule_hits(ro, rd, pa, pb, r):
    """Ray-capsule intersection; returns t (inf where missed) and the surface normals."""
    ba = pb - pa
    oa = ro - pa
    baba = float(ba @ ba)
    bard = rd @ ba
    baoa = float(ba @ oa)
    rdoa = rd @ oa
    oaoa = float(oa @ oa)
    a = baba - bard * bard
    b = baba * rdoa - baoa * bard
    c = baba * oaoa - baoa * baoa - r * r * baba
    h = b * b - a * c
    t = np.full(rd.shape[:-1], np.inf, np.float32)
    ok = (h >= 0) & (a > 1e-9)
    with np.errstate(invalid="ignore", divide="ignore"):
        tb = (-b - np.sqrt(np.maximum(h, 0))) / np.where(a > 1e-9, a, 1)
        y = baoa + tb * bard
        body = ok & (y > 0) & (y < baba) & (tb > 0)
        t = np.where(body, tb, t)
        # end caps (spheres at pa or pb)
        for centre, sel in ((pa, y <= 0), (pb, y >= baba)):
            oc = ro - centre
            bb = rd @ oc
            cc = float(oc @ oc) - r * r
            hh = bb * bb - cc
            tc = -bb - np.sqrt(np.maximum(hh, 0))
            cap = (~body) & (hh > 0) & (tc > 0) & sel & (tc < t)
            t = np.where(cap, tc, t)
    pos = ro + rd * np.where(np.isfinite(t), t, 0)[..., None]
    pa_to = pos - pa
    hh = np.clip((pa_to @ ba) / baba, 0, 1)
    n = (pa_to - hh[..., None] * ba) / r
    return t, n


def _sphere_hits(ro, rd, c, r):
    oc = ro - c
    b = rd @ oc
    cc = float(oc @ oc) - r * r
    h = b * b - cc
    with np.errstate(invalid="ignore"):
        t = np.where(h > 0, -b - np.sqrt(np.maximum(h, 0)), np.inf)
    t = np.where(t > 0, t, np.inf).astype(np.float32)
    pos = ro + rd * np.where(np.isfinite(t), t, 0)[..., None]
    return t, (pos - c) / r


class Renderer:
    """Renders poses of one figure for one camera; the room is drawn once and reused."""

    def __init__(
        self,
        body: Body,
        camera: Camera,
        look: Look,
        internal_scale: float = 0.5,
        mat: tuple[float, float, float, float] = (-1.15, 0.95, -0.4, 0.4),
    ):
        self.body, self.camera, self.look, self.scale = body, camera, look, internal_scale
        self._bg, self._bg_depth, self._rd, self._ro = _background(
            camera, look, internal_scale, mat
        )
        self._light = np.array(look.light, np.float32) / np.linalg.norm(look.light)

    def primitives(self, pose: Pose) -> list[tuple[str, tuple, tuple[int, int, int]]]:
        b, lk, j = self.body, self.look, joints(self.body, pose)
        prims: list = []

        def cap(p, q, r, col):
            prims.append(
                (
                    "cap",
                    (j[p] if isinstance(p, str) else p, j[q] if isinstance(q, str) else q, r),
                    col,
                )
            )

        def sph(c, r, col):
            prims.append(("sph", (j[c] if isinstance(c, str) else c, r), col))

        # torso: two halves through the mid-back, so it can round (cat) and sag (cow)
        for side, sg in SIDE_SIGN.items():
            hip, sh = j[f"{side}_hip"], j[f"{side}_shoulder"]
            inset = np.array([0, 0, sg * 0.035])
            mid = j["mid_back"] + np.array([0, 0, sg * (b.hip_half + b.shoulder_half) / 2]) - inset
            cap(hip - inset * 0.3, mid, b.r_waist, lk.pants if False else lk.shirt)
            cap(mid, sh - inset, b.r_chest, lk.shirt)
        cap(
            j["pelvis_c"] + np.array([0, 0, b.hip_half * 0.9]),
            j["pelvis_c"] - np.array([0, 0, b.hip_half * 0.9]),
            b.r_waist * 1.05,
            lk.pants,
        )
        cap("shoulder_c", j["head"] + (j["shoulder_c"] - j["head"]) * 0.35, b.r_neck, lk.skin)
        # head, hair, face
        head = j["head"]
        f = (j["nose"] - head) / b.head_r
        sph(head, b.head_r, lk.skin)
        up_h = (head - j["shoulder_c"]) / np.linalg.norm(head - j["shoulder_c"])
        sph(head - 0.28 * b.head_r * f + 0.12 * b.head_r * up_h, b.head_r * 0.93, lk.hair)
        sph(j["nose"] - 0.12 * b.head_r * f, b.head_r * 0.22, tuple(int(c * 0.92) for c in lk.skin))
        for side in SIDE_SIGN:
            sph(f"{side}_eye", b.head_r * 0.13, (250, 250, 250))
            sph(j[f"{side}_eye"] + 0.09 * b.head_r * f, b.head_r * 0.075, (40, 30, 25))
            sph(j[f"{side}_eye"] + 0.16 * b.head_r * up_h, b.head_r * 0.06, lk.hair)  # brow
            sph(f"{side}_ear", b.head_r * 0.2, tuple(int(c * 0.95) for c in lk.skin))
        mouth = head + b.head_r * (0.86 * f - 0.42 * up_h)
        lat = np.cross(f, up_h)
        cap(
            mouth - 0.22 * b.head_r * lat,
            mouth + 0.22 * b.head_r * lat,
            b.head_r * 0.07,
            (70, 70, 170),
        )
        # limbs
        for side in SIDE_SIGN:
            cap(f"{side}_shoulder", f"{side}_elbow", b.r_upper_arm, lk.shirt)
            cap(f"{side}_elbow", f"{side}_wrist", b.r_forearm, lk.skin)
            cap(
                f"{side}_wrist",
                f"{side}_hand",
                b.r_forearm * 0.9,
                tuple(int(c * 0.97) for c in lk.skin),
            )
            cap(f"{side}_hip", f"{side}_knee", b.r_thigh, lk.pants)
            cap(f"{side}_knee", f"{side}_ankle", b.r_shin, lk.pants)
            cap(f"{side}_heel", f"{side}_toe", b.r_foot, lk.shoes)
        return prims

    def render(self, pose: Pose) -> np.ndarray:
        img = self._bg.copy()
        depth = self._bg_depth.copy()
        rd, ro = self._rd, self._ro
        h, w = depth.shape
        cam = self.camera
        for kind, geo, col in self.primitives(pose):
            pts = [geo[0], geo[1]] if kind == "cap" else [geo[0]]
            r = geo[-1]
            uv = cam.project(np.array(pts)) * self.scale
            zs = [(np.asarray(p) - np.array(cam.position)) @ cam.basis()[0] for p in pts]
            if min(zs) <= 0.05:
                continue
            pad = cam.focal * self.scale * r / min(zs) + 2
            x0 = int(max(0, math.floor(uv[:, 0].min() - pad)))
            x1 = int(min(w, math.ceil(uv[:, 0].max() + pad)))
            y0 = int(max(0, math.floor(uv[:, 1].min() - pad)))
            y1 = int(min(h, math.ceil(uv[:, 1].max() + pad)))
            if x1 <= x0 or y1 <= y0:
                continue
            sub = rd[y0:y1, x0:x1]
            if kind == "cap":
                t, n = _capsule_hits(
                    ro, sub, np.asarray(geo[0], np.float32), np.asarray(geo[1], np.float32), r
                )
            else:
                t, n = _sphere_hits(ro, sub, np.asarray(geo[0], np.float32), r)
            zb = depth[y0:y1, x0:x1]
            win = t < zb
            if not win.any():
                continue
            lam = np.clip(n @ self._light, 0, 1)
            rim = np.clip(-(n * sub).sum(-1), 0, 1)  # facing the camera: a touch brighter
            shade = self.look.ambient + (1 - self.look.ambient) * lam * 0.85 + 0.12 * rim
            colour = np.array(col, np.float32)[None, None, :] * shade[..., None]
            img[y0:y1, x0:x1] = np.where(win[..., None], colour, img[y0:y1, x0:x1])
            zb[win] = t[win]
        out = np.clip(img, 0, 255).astype(np.uint8)
        if self.scale != 1.0:
            out = cv2.resize(out, cam.size, interpolation=cv2.INTER_LINEAR)
        return out

    def render_room(self) -> np.ndarray:
        """The room with nobody in it."""
        out = np.clip(self._bg, 0, 255).astype(np.uint8)
        return cv2.resize(out, self.camera.size, interpolation=cv2.INTER_LINEAR)
