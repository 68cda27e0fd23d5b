//! Plain render functions: `draw(frame, app)` reads the state and writes the frame.
