//! A real-time server for tests: jackd on its dummy backend (no sound card) and supernova on it, driven over
//! OSC/UDP with `rosc`. Everything started here is stopped by PID when the guard drops, even if a test fails.

use rosc::{OscMessage, OscPacket, OscType};
use std::net::UdpSocket;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A child process that is killed (by its PID) when dropped.
pub struct Spawned(pub Child);

impl Drop for Spawned {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            // SIGTERM first, so that jackd removes its shared-memory files; SIGKILL if it does not go.
            let _ = Command::new("kill").args(["-TERM", &self.0.id().to_string()]).status();
            let deadline = Instant::now() + Duration::from_secs(3);
            while Instant::now() < deadline && matches!(self.0.try_wait(), Ok(None)) {
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// jackd (dummy backend, 48 kHz, period 64) plus supernova (`-z 64 -T 2`) with the given plugin path.
pub struct RealTimeServer {
    pub socket: UdpSocket,
    // Field order is drop order: supernova before jackd.
    pub supernova: Spawned,
    pub jackd: Spawned,
    pub jack_name: String,
}

impl RealTimeServer {
    pub fn boot(plugin_path: &str, log_dir: &Path) -> Self {
        let jack_name = format!("performia-test-{}", std::process::id());
        let jack_log = std::fs::File::create(log_dir.join("jackd.log")).unwrap();
        let jackd = Command::new("jackd")
            .args([
                "--no-realtime",
                "-n",
                &jack_name,
                "-d",
                "dummy",
                "-r",
                "48000",
                "-p",
                "64",
            ])
            .env("JACK_NO_AUDIO_RESERVATION", "1")
            .stdin(Stdio::null())
            .stdout(jack_log.try_clone().unwrap())
            .stderr(jack_log)
            .spawn()
            .expect("start jackd (apt-get install jackd2)");
        let mut jackd = Spawned(jackd);
        std::thread::sleep(Duration::from_millis(700));
        assert!(
            jackd.0.try_wait().unwrap().is_none(),
            "jackd exited at start; see {}",
            log_dir.display()
        );

        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        socket
            .set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        let port = 20_000 + (std::process::id() % 20_000) as u16;
        let sn_log = std::fs::File::create(log_dir.join("supernova.log")).unwrap();
        let supernova = Command::new("supernova")
            .args([
                "-u",
                &port.to_string(),
                "-z",
                "64",
                "-T",
                "2",
                "-i",
                "0",
                "-o",
                "2",
                "-U",
                plugin_path,
            ])
            .env("JACK_DEFAULT_SERVER", &jack_name)
            .env("JACK_NO_AUDIO_RESERVATION", "1")
            .stdin(Stdio::null())
            .stdout(sn_log.try_clone().unwrap())
            .stderr(sn_log)
            .spawn()
            .expect("start supernova");
        let server = Self {
            socket,
            supernova: Spawned(supernova),
            jackd,
            jack_name,
        };
        server.socket.connect(("127.0.0.1", port)).unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            server.send("/status", vec![]);
            if server
                .receive("/status.reply", Duration::from_millis(300))
                .is_some()
            {
                return server;
            }
        }
        panic!(
            "supernova did not answer /status within 20 s; see {}/supernova.log",
            log_dir.display()
        );
    }

    pub fn send(&self, address: &str, args: Vec<OscType>) {
        let packet = OscPacket::Message(OscMessage {
            addr: address.to_owned(),
            args,
        });
        let bytes = rosc::encoder::encode(&packet).unwrap();
        // Errors (e.g. ECONNREFUSED while the server boots) show up as missing replies.
        let _ = self.socket.send(&bytes);
    }

    /// Waits up to `timeout` for a message to `address`, skipping others.
    pub fn receive(&self, address: &str, timeout: Duration) -> Option<Vec<OscType>> {
        let deadline = Instant::now() + timeout;
        let mut buf = [0u8; 65_536];
        while Instant::now() < deadline {
            let Ok(n) = self.socket.recv(&mut buf) else {
                continue;
            };
            if let Ok((_, OscPacket::Message(msg))) = rosc::decoder::decode_udp(&buf[..n])
                && msg.addr == address
            {
                return Some(msg.args);
            }
        }
        None
    }

    /// Sends `/quit` and waits for supernova to exit on its own.
    pub fn quit(mut self) -> bool {
        self.send("/quit", vec![]);
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.supernova.0.try_wait() {
                return status.success();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.supernova.0.kill();
        false
    }
}
