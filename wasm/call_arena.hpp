#pragma once
// Per-call allocation for the wasm exports that run a delivery (wasm/abi.cpp). Inside a call_scope, every
// C++ allocation (operator new: the payload's DOM, the message, the strings between them) is a bump of a
// pointer in chunks taken from malloc, deleting is a no-op, and the scope's end gives the chunks back at
// once. Outside a scope, operator new is malloc as before: what lives across calls (compiled endpoints, the
// answer handed to JavaScript, which wasm/abi.cpp mallocs) never comes from here.

#include <cstddef>
#include <cstdint>
#include <utility>

namespace dispatch::wasm {

class call_arena {
 public:
  // Returns `size` bytes aligned to 8 (new's default alignment in wasm32), or nullptr if malloc has no
  // room for another chunk.
  void* allocate(std::size_t size);

  // Returns true if `pointer` was handed out by this arena since the last release.
  bool owns(const void* pointer) const;

  // Gives every chunk back to malloc.
  void release();

 private:
  struct chunk {
    chunk* previous;
    std::size_t size;  // bytes after the header
  };
  static constexpr std::size_t first_chunk = 64 * 1024;
  static constexpr std::size_t header = (sizeof(chunk) + 7) & ~std::size_t{7};

  // Takes a chunk from malloc with room for at least `size` bytes; false if malloc has none.
  bool grow(std::size_t size);

  chunk* last_ = nullptr;
  std::uintptr_t top_ = 0;  // next free byte in last_
  std::uintptr_t end_ = 0;  // end of last_
};

// While a call_scope lives, operator new allocates from the module's call arena. One scope at a time: the
// exports are not reentrant. Declare it first in an export, so that every local is destroyed before it.
class call_scope {
 public:
  call_scope();
  ~call_scope();
  call_scope(const call_scope&) = delete;
  call_scope& operator=(const call_scope&) = delete;
};

// Returns a T made from `args` in the call arena, whose destructor never runs: the arena gives its memory back
// whole when the call ends, and taking apart a tree (a payload's DOM, an answer's) is work for nothing then.
// Only within a call_scope, and only for a T that holds nothing but memory.
template <class T, class... Args>
T& left_to_arena(Args&&... args) {
  return *new T(std::forward<Args>(args)...);
}

}  // namespace dispatch::wasm
