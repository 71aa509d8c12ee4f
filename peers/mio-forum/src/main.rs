//! The forum thread's echo server ("Threadpool performance really bad",
//! docs/FORUM.md), written for echolab on the poster's own stack, mio 0.6:
//! N threads, each with its own `Poll`, each registering a clone of one
//! listener (N = 1 is the single-thread version); whichever thread's accept
//! wins a connection serves it in its own loop. The poster's choices are
//! flags; the defaults are the loop as posted: listener edge-triggered with
//! one accept per event, client sockets level-triggered, one read into a
//! 4 KiB buffer per event, the data written straight back. Readable and
//! writable interest stay registered ("always"), as echolab's model of the
//! forum code assumes; `--write-interest on_demand` asks for writable only
//! while a write is pending. Nagle stays on, as mio 0.6 leaves it and as
//! echolab's `server.nodelay` defaults (`--nodelay on` turns it off).
//!
//! `--tokens one` reproduces the posted loop's `Token(1)` bug (docs/FORUM.md,
//! reply 7): every accepted connection is registered under `Token(1)`, and
//! the loop's slot for `Token(1)` holds one connection, the first one
//! accepted while the slot is empty. A connection accepted while the slot is
//! taken stays open and registered (level-triggered, so its readiness keeps
//! firing, every event arriving as `Token(1)`), but it is never read,
//! written or closed by the server, not even after its client goes away:
//! its events are handled as the slot connection's (one read of *that*
//! connection per readable event). When the slot connection closes, the
//! slot empties; events from the other connections are then ignored (the
//! posted loop would have panicked on a missing entry; this one keeps
//! spinning on their level-triggered readiness instead) until the next
//! accepted connection takes the slot. Each pool thread has its own slot.
//! `--tokens per-connection` (the default) gives each connection a token
//! of its own, as the poster's fixed code did.
//!
//! Prints `listening on ADDR:PORT` first, like `echolab serve`; runs until
//! killed. A misbehaving client never stops it: any error on a connection
//! closes that connection, and accept errors (EMFILE...) are counted and
//! skipped. `--help` prints every flag and its default.
//!
//! usage: mio-forum [--threads N] [--bind ADDR] [--listener edge|level]
//!                  [--sockets level|edge] [--read once|drain]
//!                  [--accept once|drain] [--buffer BYTES]
//!                  [--write-interest always|on_demand] [--events N]
//!                  [--nodelay on|off] [--tokens per-connection|one] [PORT]

use std::collections::HashMap;
use std::io::{self, ErrorKind, Read, Write};
use std::net::SocketAddr;
use std::process;
use std::thread;

use mio::net::{TcpListener, TcpStream};
use mio::{Events, Poll, PollOpt, Ready, Token};

const LISTENER: Token = Token(0);

/// The server's choices, from the command line.
#[derive(Clone)]
struct Options {
    threads: usize,
    bind: String,
    port: u16,
    listener_edge: bool,
    sockets_edge: bool,
    read_drain: bool,
    accept_drain: bool,
    buffer: usize,
    write_always: bool,
    events: usize,
    nodelay: bool,
    /// `--tokens one`: every connection registered under Token(1).
    tokens_one: bool,
}

const USAGE: &str = "usage: mio-forum [--threads N] [--bind ADDR] [--listener edge|level] \
[--sockets level|edge] [--read once|drain] [--accept once|drain] [--buffer BYTES] \
[--write-interest always|on_demand] [--events N] [--nodelay on|off] \
[--tokens per-connection|one] [PORT]";

const HELP: &str = "\
The forum thread's echo server on mio 0.6 (docs/FORUM.md), a peer for echolab.
Prints `listening on ADDR:PORT` first; runs until killed.

  --threads N            threads, each with its own Poll registering the one
                         listener (1 = the single-thread version)   [1]
  --bind ADDR            address to listen on                       [127.0.0.1]
  --listener edge|level  listener trigger                           [edge]
  --sockets level|edge   trigger of accepted connections            [level]
  --read once|drain      one read per event, or read until WouldBlock [once]
  --accept once|drain    one accept per listener event, or until WouldBlock [once]
  --buffer BYTES         read buffer                                [4096]
  --write-interest always|on_demand
                         writable interest registered for good, or only while
                         echoes are pending                         [always]
  --events N             events per poll                            [1024]
  --nodelay on|off       TCP_NODELAY on accepted connections        [off]
  --tokens per-connection|one
                         per-connection: a token of its own for each connection.
                         one: every connection registered under Token(1), as
                         the posted loop did: the thread's slot for Token(1)
                         holds the first connection accepted while it is empty;
                         the others stay open and registered (their readiness
                         keeps firing as Token(1)) but are never read, written
                         or closed                                  [per-connection]
  PORT                   port to listen on, last (0: any free port) [0]
  --help, -h             this text
";

fn parse_options(args: &[String]) -> Result<Options, String> {
    let mut o = Options {
        threads: 1,
        bind: "127.0.0.1".to_string(),
        port: 0,
        listener_edge: true,
        sockets_edge: false,
        read_drain: false,
        accept_drain: false,
        buffer: 4096,
        write_always: true,
        events: 1024,
        nodelay: false,
        tokens_one: false,
    };
    let mut i = 0;
    while i < args.len() {
        let flag = args[i].as_str();
        if !flag.starts_with("--") {
            o.port = flag.parse().map_err(|_| format!("port: '{}' is not 0..65535", flag))?;
            i += 1;
            continue;
        }
        let value = args.get(i + 1).ok_or_else(|| format!("{} needs a value", flag))?.as_str();
        let choice = |a: &str, b: &str| -> Result<bool, String> {
            match value {
                v if v == a => Ok(true),
                v if v == b => Ok(false),
                _ => Err(format!("{}: '{}' is not {} or {}", flag, value, a, b)),
            }
        };
        let number = |low: usize, high: usize| -> Result<usize, String> {
            match value.parse::<usize>() {
                Ok(n) if n >= low && n <= high => Ok(n),
                _ => Err(format!("{}: '{}' is not an integer in {}..{}", flag, value, low, high)),
            }
        };
        match flag {
            "--threads" => o.threads = number(1, 1024)?,
            "--bind" => o.bind = value.to_string(),
            "--listener" => o.listener_edge = choice("edge", "level")?,
            "--sockets" => o.sockets_edge = choice("edge", "level")?,
            "--read" => o.read_drain = choice("drain", "once")?,
            "--accept" => o.accept_drain = choice("drain", "once")?,
            "--buffer" => o.buffer = number(1, 1 << 24)?,
            "--write-interest" => o.write_always = choice("always", "on_demand")?,
            "--events" => o.events = number(1, 1 << 20)?,
            "--nodelay" => o.nodelay = choice("on", "off")?,
            "--tokens" => o.tokens_one = choice("one", "per-connection")?,
            _ => return Err(format!("unknown option {}", flag)),
        }
        i += 2;
    }
    Ok(o)
}

fn poll_opt(edge: bool) -> PollOpt {
    if edge {
        PollOpt::edge()
    } else {
        PollOpt::level()
    }
}

/// One accepted connection and the echo bytes it could not write yet.
/// Owned by the thread whose accept won it.
struct Conn {
    stream: TcpStream,
    pending: Vec<u8>,
    interest: Ready,
}

/// What became of a connection after an event.
enum Outcome {
    Open,
    Closed,
}

/// Writes `data` back; what the socket would not take goes to `pending`.
fn write_back(conn: &mut Conn, data: &[u8]) -> Outcome {
    let mut offset = 0;
    while offset < data.len() {
        match conn.stream.write(&data[offset..]) {
            Ok(0) => return Outcome::Closed,
            Ok(n) => offset += n,
            Err(ref e) if e.kind() == ErrorKind::WouldBlock => {
                conn.pending.extend_from_slice(&data[offset..]);
                break;
            }
            Err(ref e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => return Outcome::Closed,
        }
    }
    Outcome::Open
}

/// Handles one event of a connection: flush what is pending, then read
/// once (or until WouldBlock) and write each read straight back.
fn on_event(conn: &mut Conn, readiness: Ready, buffer: &mut [u8], o: &Options) -> Outcome {
    let mut flushed = false;
    if !conn.pending.is_empty() && readiness.is_writable() {
        let pending = std::mem::take(&mut conn.pending);
        if let Outcome::Closed = write_back(conn, &pending) {
            return Outcome::Closed;
        }
        flushed = conn.pending.is_empty();
    }
    // Reading waits while echoes are pending (the peer is not reading);
    // after a flush, read again: an edge may have passed meanwhile.
    if readiness.is_readable() || flushed {
        while conn.pending.is_empty() {
            match conn.stream.read(buffer) {
                Ok(0) => return Outcome::Closed,
                Ok(n) => {
                    if let Outcome::Closed = write_back(conn, &buffer[..n]) {
                        return Outcome::Closed;
                    }
                }
                Err(ref e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(ref e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(_) => return Outcome::Closed,
            }
            if !o.read_drain {
                break;
            }
        }
    }
    Outcome::Open
}

/// The interest a connection needs now.
fn wanted_interest(conn: &Conn, o: &Options) -> Ready {
    if o.write_always || !conn.pending.is_empty() {
        Ready::readable() | Ready::writable()
    } else {
        Ready::readable()
    }
}

/// The token every connection gets under `--tokens one`, as posted.
const POSTED_TOKEN: Token = Token(1);

/// One thread of the pool: its own Poll, the shared listener registered in
/// it, and the connections its accepts won. Runs until the process ends.
fn serve(listener: TcpListener, o: Options) -> io::Result<()> {
    let poll = Poll::new()?;
    poll.register(&listener, LISTENER, Ready::readable(), poll_opt(o.listener_edge))?;
    let mut events = Events::with_capacity(o.events);
    let mut conns: HashMap<Token, Conn> = HashMap::new();
    let mut next_token = 1usize;
    // `--tokens one`: connections registered under Token(1) while its slot
    // in `conns` was taken. Kept open (and so registered) for good, never
    // read, written or closed: the posted loop could not reach them.
    let mut unread: Vec<TcpStream> = Vec::new();
    let mut buffer = vec![0u8; o.buffer];
    loop {
        if let Err(e) = poll.poll(&mut events, None) {
            if e.kind() == ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        for event in events.iter() {
            let token = event.token();
            if token == LISTENER {
                loop {
                    match listener.accept() {
                        Ok((stream, _)) => {
                            if o.nodelay {
                                let _ = stream.set_nodelay(true);
                            }
                            let conn_token = if o.tokens_one {
                                POSTED_TOKEN
                            } else {
                                next_token += 1;
                                Token(next_token - 1)
                            };
                            let interest = if o.write_always {
                                Ready::readable() | Ready::writable()
                            } else {
                                Ready::readable()
                            };
                            if poll.register(&stream, conn_token, interest, poll_opt(o.sockets_edge)).is_ok() {
                                if conns.contains_key(&conn_token) {
                                    // Only under --tokens one: Token(1) already
                                    // names a connection, so this one's events
                                    // will be taken for that one's.
                                    unread.push(stream);
                                } else {
                                    conns.insert(conn_token, Conn { stream, pending: Vec::new(), interest });
                                }
                            }
                        }
                        Err(ref e) if e.kind() == ErrorKind::WouldBlock => break,
                        Err(ref e) if e.kind() == ErrorKind::Interrupted => continue,
                        Err(e) => {
                            // EMFILE and friends: the connection waits in the
                            // backlog; the server goes on (even when stderr
                            // is gone: no eprintln!, which panics then).
                            let _ = writeln!(io::stderr(), "mio-forum: accept: {}", e);
                            break;
                        }
                    }
                    if !o.accept_drain {
                        break;
                    }
                }
                continue;
            }
            // Under --tokens one this is the slot connection whichever
            // connection the event came from; with the slot empty (its
            // connection closed) the event is dropped, and a level-triggered
            // one comes straight back.
            let closed = match conns.get_mut(&token) {
                None => false,
                Some(conn) => match on_event(conn, event.readiness(), &mut buffer, &o) {
                    Outcome::Closed => true,
                    Outcome::Open => {
                        let wanted = wanted_interest(conn, &o);
                        if wanted != conn.interest {
                            conn.interest = wanted;
                            poll.reregister(&conn.stream, token, wanted, poll_opt(o.sockets_edge)).is_err()
                        } else {
                            false
                        }
                    }
                },
            };
            if closed {
                if let Some(conn) = conns.remove(&token) {
                    let _ = poll.deregister(&conn.stream);
                }
            }
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--help" || a == "-h") {
        print!("{}\n{}", USAGE, HELP);
        return;
    }
    let o = match parse_options(&args) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("mio-forum: {}\n{}", e, USAGE);
            process::exit(2);
        }
    };
    let address: SocketAddr = match format!("{}:{}", o.bind, o.port).parse() {
        Ok(a) => a,
        Err(_) => {
            eprintln!("mio-forum: --bind: '{}' is not an IP address", o.bind);
            process::exit(2);
        }
    };
    let listener = match TcpListener::bind(&address) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("mio-forum: cannot listen on {}: {}", address, e);
            process::exit(1);
        }
    };
    let local = listener.local_addr().expect("a bound listener has an address");
    println!("listening on {}", local);
    let mut threads = Vec::new();
    for index in 0..o.threads {
        let clone = listener.try_clone().expect("the listener can be cloned");
        let options = o.clone();
        threads.push(
            thread::Builder::new()
                .name(format!("mio-forum-{}", index))
                .spawn(move || {
                    if let Err(e) = serve(clone, options) {
                        eprintln!("mio-forum: thread {}: {}", index, e);
                        process::exit(1);
                    }
                })
                .expect("a thread can be started"),
        );
    }
    drop(listener);
    for thread in threads {
        let _ = thread.join();
    }
}
