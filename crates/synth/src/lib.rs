//! SynthSpatial: procedural rooms with labelled objects, our own rasterizer, questions with
//! exact answers, and a scripted reference policy.
//!
//! It makes the agent loop runnable and testable with no GPU and no VLM: frames come with
//! exact depth, instance masks and cameras (for a `synthetic` perception backend), questions
//! come with exact answers, and `policy::respond` plays the VLM.
//!
//! Conventions: world metres, +Y up, floor at Y = 0; cameras are camera-to-world 4×4 with
//! OpenCV axes (x right, y down, z forward); pixel (u, v) samples image point (u, v); depth is
//! camera-frame z with `f32::INFINITY` where nothing is hit.

pub mod bench;
pub mod camera;
pub mod catalog;
pub mod dataset;
pub mod error;
pub mod frame;
pub mod geometry;
pub mod layout;
pub mod math;
mod mesh;
pub mod policy;
pub mod primitives;
pub mod question;
pub mod questions;
pub mod raster;
pub mod rng;
pub mod sample;
pub mod scene;
pub mod views;

pub use bench::{RenderBench, bench_render, bench_render_room};
pub use camera::{Camera, Intrinsics};
pub use error::SynthError;
pub use frame::Frame;
pub use geometry::{ClosestPoints, OrientedBox};
pub use math::Vec3;
pub use policy::{PolicyError, respond};
pub use primitives::{Part, Shape, Solid};
pub use question::{DemoSample, Question, demo_sample};
pub use raster::render;
pub use scene::{
    FIRST_OBJECT_INSTANCE, INSTANCE_BACKGROUND, INSTANCE_CEILING, INSTANCE_FLOOR, INSTANCE_WALL,
    Motion, Object, Room, Scene, SceneConfig,
};
