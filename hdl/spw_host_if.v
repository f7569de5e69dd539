// SPDX-License-Identifier: Apache-2.0
// AXI4-Lite slave host interface: control/status registers and AMem/WMem/IMem windows.
`timescale 1ns / 1ps
`default_nettype none

// spw_host_if
//
// Function
//   Decodes the 20-bit AXI4-Lite byte address space of spec.py:
//     0x00000-0x00FFF  register window (REGS; unmapped offsets -> DECERR)
//     AMEM_BASE/WMEM_BASE/IMEM_BASE windows of WINDOW_BYTES each; a memory
//       word of B bits occupies slots_per_word(B) consecutive 32-bit slots,
//       slot j = bits [32j+31:32j]; word >= depth -> DECERR, any window
//       access while the core is busy -> SLVERR (no memory request issued)
//     everything else -> DECERR
//   Writes to RO registers and a START while busy get SLVERR and change
//   nothing.  WSTRB is honoured on RW/W1C/W1S registers and passed to the
//   memory port.  addr[1:0] and AxPROT are ignored.
//
// Latency
//   AW, W and AR are each captured in a one-deep holding register
//   (xREADY = register empty, so there is no combinational path from VALID
//   to READY); a channel stays not-ready from its handshake until the
//   response handshake, and is ready again the cycle after it.
//   One sequencer executes a captured write (AW and W both held) or read,
//   so reads and writes are serialized on the shared memory port; when both
//   wait, the kind not served last goes first (a read after reset).
//   With the sequencer free, BVALID rises 1 cycle after the later of the
//   AW/W handshakes, RVALID 1 cycle after the AR handshake for a register
//   or an error response and 2 cycles after it for a memory read.
//
// Assumptions
//   * The memory port has a fixed read latency of 1 cycle and is only
//     connected to the memories while busy_i is low; mem_rdata_i is the
//     selected 32-bit slot of the addressed word.
//   * busy_i is high from the cycle after start_o (the core registers
//     start_o); the start_o cycle itself counts as busy here, so no window
//     access or second START can slip in before busy_i rises.
//   * done_i is a 1-cycle pulse with err_code_i/err_pc_i valid alongside.
//     If a START is accepted in the same cycle as done_i, START wins for
//     STATUS.DONE/ERROR and ERR_CODE (they belong to the new run);
//     IRQ_STATUS and ERR_PC still record the finished run.
//   * A write-1-to-clear of IRQ_STATUS in the same cycle as done_i loses
//     against the new event (no interrupt is dropped).
//   * A memory word is at most 4 slots (128 bits), so ROWS, COLS <= 32.

`include "spw_defs.vh"

module spw_host_if #(
    // MAC array rows = 4-bit activation lanes per AMem word
    parameter ROWS = 8,
    // MAC array columns = 4-bit weight lanes per WMem word
    parameter COLS = 8,
    // AMem depth in words
    parameter ADEPTH = 4096,
    // WMem depth in words
    parameter WDEPTH = 4096,
    // IMem depth in 64-bit words
    parameter IDEPTH = 4096,
    // accumulator width in bits (reported in CONFIG only)
    parameter ACC_W = 20
) (
    input  wire        clk_i,
    input  wire        rst_ni,

    /* AXI4-Lite slave interface */
    input  wire [19:0] s_axil_awaddr,
    input  wire [2:0]  s_axil_awprot,
    input  wire        s_axil_awvalid,
    output wire        s_axil_awready,
    input  wire [31:0] s_axil_wdata,
    input  wire [3:0]  s_axil_wstrb,
    input  wire        s_axil_wvalid,
    output wire        s_axil_wready,
    output wire [1:0]  s_axil_bresp,
    output wire        s_axil_bvalid,
    input  wire        s_axil_bready,
    input  wire [19:0] s_axil_araddr,
    input  wire [2:0]  s_axil_arprot,
    input  wire        s_axil_arvalid,
    output wire        s_axil_arready,
    output wire [31:0] s_axil_rdata,
    output wire [1:0]  s_axil_rresp,
    output wire        s_axil_rvalid,
    input  wire        s_axil_rready,

    /* Core control and status */
    output wire        start_o,
    output wire [15:0] start_pc_o,
    input  wire        busy_i,
    input  wire        done_i,
    input  wire [3:0]  err_code_i,
    input  wire [15:0] err_pc_i,
    input  wire [31:0] perf_cycles_i,
    input  wire [31:0] perf_mac_busy_i,
    input  wire [31:0] perf_skipped_i,
    input  wire [31:0] perf_stall_i,
    output wire        irq_o,

    /* Memory window port, read latency 1 */
    output reg         mem_req_o,
    output reg         mem_we_o,
    output reg  [1:0]  mem_sel_o,     // `SPW_SEL_AMEM, _WMEM or _IMEM
    output reg  [15:0] mem_addr_o,    // word address
    output reg  [1:0]  mem_slot_o,    // 32-bit slot of the word
    output wire [31:0] mem_wdata_o,
    output wire [3:0]  mem_wstrb_o,
    input  wire [31:0] mem_rdata_i    // selected slot, the cycle after a read request
);

    // smallest power-of-two count of 32-bit slots holding a word of BITS bits
    function integer slots_of;
        input integer bits;
        begin
            slots_of = 1;
            while (slots_of * 32 < bits) slots_of = slots_of * 2;
        end
    endfunction

    function integer log2_of;
        input integer n;
        begin
            log2_of = 0;
            while ((1 << log2_of) < n) log2_of = log2_of + 1;
        end
    endfunction

    // slots per word and their log2, per memory
    localparam integer A_SLOTS = slots_of(ROWS * 4);
    localparam integer W_SLOTS = slots_of(COLS * 4);
    localparam integer I_SLOTS = slots_of(64);
    localparam integer A_SLOT_LG = log2_of(A_SLOTS);
    localparam integer W_SLOT_LG = log2_of(W_SLOTS);
    localparam integer I_SLOT_LG = log2_of(I_SLOTS);
    localparam [31:0] A_SLOT_MASK = A_SLOTS - 1;
    localparam [31:0] W_SLOT_MASK = W_SLOTS - 1;
    localparam [31:0] I_SLOT_MASK = I_SLOTS - 1;
    // depths as 32-bit vectors for unsigned compares and register reads
    localparam [31:0] ADEPTH_U = ADEPTH;
    localparam [31:0] WDEPTH_U = WDEPTH;
    localparam [31:0] IDEPTH_U = IDEPTH;
    localparam [31:0] ROWS_U = ROWS;
    localparam [31:0] COLS_U = COLS;
    localparam [31:0] ACC_W_U = ACC_W;
    localparam [31:0] CONFIG_VALUE = {8'd0, ACC_W_U[7:0], COLS_U[7:0], ROWS_U[7:0]};

    // AXI response codes
    localparam [1:0] RESP_OKAY = 2'b00;
    localparam [1:0] RESP_SLVERR = 2'b10;
    localparam [1:0] RESP_DECERR = 2'b11;

    // sequencer states
    localparam [1:0] ST_IDLE = 2'd0;  // pick a captured transaction and execute it
    localparam [1:0] ST_RMEM = 2'd1;  // memory read issued, data arrives now
    localparam [1:0] ST_RRESP = 2'd2; // RVALID until RREADY
    localparam [1:0] ST_BRESP = 2'd3; // BVALID until BREADY

    initial begin
        if (A_SLOTS > 4 || W_SLOTS > 4)
            $error("%m: a memory word wider than 128 bits needs more than 2 slot bits");
        if (ROWS > 255 || COLS > 255 || ACC_W > 255)
            $error("%m: ROWS, COLS and ACC_W must fit the 8-bit CONFIG fields");
        if (ADEPTH * A_SLOTS * 4 > `SPW_WINDOW_BYTES || WDEPTH * W_SLOTS * 4 > `SPW_WINDOW_BYTES ||
            IDEPTH * I_SLOTS * 4 > `SPW_WINDOW_BYTES)
            $error("%m: a memory does not fit its %0d-byte window", `SPW_WINDOW_BYTES);
    end

    // ------------------------------------------------------------------
    // State
    // ------------------------------------------------------------------
    reg [1:0]  state_d, state_q;
    reg        last_rd_d, last_rd_q;   // the last executed transaction was a read
    reg        aw_full_d, aw_full_q;
    reg [19:0] aw_addr_d, aw_addr_q;
    reg        w_full_d, w_full_q;
    reg [31:0] w_data_d, w_data_q;
    reg [3:0]  w_strb_d, w_strb_q;
    reg        ar_full_d, ar_full_q;
    reg [19:0] ar_addr_d, ar_addr_q;
    reg [1:0]  resp_d, resp_q;         // shared by B and R: one response at a time
    reg [31:0] rdata_d, rdata_q;

    reg        start_d, start_q;       // start_o; also counts as busy in its cycle
    reg [15:0] start_pc_d, start_pc_q;
    reg        done_d, done_q;         // STATUS.DONE
    reg        error_d, error_q;       // STATUS.ERROR
    reg [3:0]  err_code_d, err_code_q;
    reg [15:0] err_pc_d, err_pc_q;
    reg [1:0]  irq_en_d, irq_en_q;
    reg [1:0]  irq_st_d, irq_st_q;
    reg        irq_d, irq_q;

    // ------------------------------------------------------------------
    // Choice of transaction and address decode (from registered state only)
    // ------------------------------------------------------------------
    wire wr_ready = aw_full_q & w_full_q;
    wire serve_wr = (state_q == ST_IDLE) & wr_ready & (~ar_full_q | last_rd_q);
    wire serve_rd = (state_q == ST_IDLE) & ar_full_q & ~serve_wr;
    wire [19:0] addr = serve_wr ? aw_addr_q : ar_addr_q;
    wire core_busy = busy_i | start_q;

    // the registers sit at the bottom of window 0 (the rest of it is
    // unmapped); windows 1..3 are the memories, select code = index - 1
    wire [1:0] win_idx = addr[`SPW_AXI_ADDR_BITS-1:`SPW_WINDOW_LSB];
    wire in_regs = ~|addr[`SPW_AXI_ADDR_BITS-1:`SPW_REG_WINDOW_BITS];
    wire in_mem = (win_idx != 2'd0);
    wire [1:0] win = win_idx - 2'd1;
    wire [15:0] slot_idx = addr[`SPW_WINDOW_LSB-1:2];    // 32-bit slot index inside the window

    reg  [15:0] word;
    reg  [1:0]  slot;
    reg         word_ok;
    always @* begin
        case (win)
            `SPW_SEL_AMEM: begin
                word = slot_idx >> A_SLOT_LG;
                slot = slot_idx[1:0] & A_SLOT_MASK[1:0];
                word_ok = {16'd0, word} < ADEPTH_U;
            end
            `SPW_SEL_WMEM: begin
                word = slot_idx >> W_SLOT_LG;
                slot = slot_idx[1:0] & W_SLOT_MASK[1:0];
                word_ok = {16'd0, word} < WDEPTH_U;
            end
            default: begin
                word = slot_idx >> I_SLOT_LG;
                slot = slot_idx[1:0] & I_SLOT_MASK[1:0];
                word_ok = {16'd0, word} < IDEPTH_U;
            end
        endcase
    end

    // register offset decode: known offset and its read value
    wire [11:0] reg_off = {addr[11:2], 2'b00};
    reg         reg_known;
    reg         reg_ro;
    reg  [31:0] reg_rdata;
    always @* begin
        reg_known = 1'b1;
        reg_ro = 1'b1;
        reg_rdata = 32'd0;
        case (reg_off)
            `SPW_REG_ID:            reg_rdata = `SPW_ID_VALUE;
            `SPW_REG_VERSION:       reg_rdata = `SPW_VERSION_VALUE;
            `SPW_REG_CONFIG:        reg_rdata = CONFIG_VALUE;
            `SPW_REG_ADEPTH:        reg_rdata = ADEPTH_U;
            `SPW_REG_WDEPTH:        reg_rdata = WDEPTH_U;
            `SPW_REG_IDEPTH:        reg_rdata = IDEPTH_U;
            `SPW_REG_CTRL:          reg_ro = 1'b0;  // W1S, reads 0
            `SPW_REG_STATUS: begin
                reg_rdata[`SPW_STATUS_BUSY_BIT] = busy_i;
                reg_rdata[`SPW_STATUS_DONE_BIT] = done_q;
                reg_rdata[`SPW_STATUS_ERROR_BIT] = error_q;
            end
            `SPW_REG_ERR_CODE:      reg_rdata = {28'd0, err_code_q};
            `SPW_REG_ERR_PC:        reg_rdata = {16'd0, err_pc_q};
            `SPW_REG_IRQ_ENABLE: begin
                reg_ro = 1'b0;
                reg_rdata = {30'd0, irq_en_q};
            end
            `SPW_REG_IRQ_STATUS: begin
                reg_ro = 1'b0;
                reg_rdata = {30'd0, irq_st_q};
            end
            `SPW_REG_START_PC: begin
                reg_ro = 1'b0;
                reg_rdata = {16'd0, start_pc_q};
            end
            `SPW_REG_PERF_CYCLES:   reg_rdata = perf_cycles_i;
            `SPW_REG_PERF_MAC_BUSY: reg_rdata = perf_mac_busy_i;
            `SPW_REG_PERF_SKIPPED:  reg_rdata = perf_skipped_i;
            `SPW_REG_PERF_STALL:    reg_rdata = perf_stall_i;
            default:                reg_known = 1'b0;
        endcase
    end

    // register write data with WSTRB applied per byte lane (no register has
    // writable bits above 15): ones where a 1 is written
    wire [15:0] strb_mask = {{8{w_strb_q[1]}}, {8{w_strb_q[0]}}};
    wire [15:0] wr_ones = w_data_q[15:0] & strb_mask;
    wire start_req = (reg_off == `SPW_REG_CTRL) & wr_ones[0];

    // response of the chosen transaction
    reg [1:0] resp;
    always @* begin
        if (in_regs) begin
            if (!reg_known)
                resp = RESP_DECERR;
            else if (serve_wr && (reg_ro || (start_req && core_busy)))
                resp = RESP_SLVERR;
            else
                resp = RESP_OKAY;
        end else if (in_mem) begin
            if (!word_ok)
                resp = RESP_DECERR;
            else if (core_busy)
                resp = RESP_SLVERR;
            else
                resp = RESP_OKAY;
        end else begin
            resp = RESP_DECERR;
        end
    end
    wire reg_wr_ok = serve_wr & in_regs & (resp == RESP_OKAY);
    wire mem_ok = in_mem & (resp == RESP_OKAY);

    // ------------------------------------------------------------------
    // Next state
    // ------------------------------------------------------------------
    always @* begin
        state_d = state_q;
        last_rd_d = last_rd_q;
        aw_full_d = aw_full_q;
        aw_addr_d = aw_addr_q;
        w_full_d = w_full_q;
        w_data_d = w_data_q;
        w_strb_d = w_strb_q;
        ar_full_d = ar_full_q;
        ar_addr_d = ar_addr_q;
        resp_d = resp_q;
        rdata_d = rdata_q;
        start_d = 1'b0;
        start_pc_d = start_pc_q;
        done_d = done_q;
        error_d = error_q;
        err_code_d = err_code_q;
        err_pc_d = err_pc_q;
        irq_en_d = irq_en_q;
        irq_st_d = irq_st_q;

        mem_req_o = 1'b0;
        mem_we_o = 1'b0;
        mem_sel_o = win;
        mem_addr_o = word;
        mem_slot_o = slot;

        // channel capture: xREADY is the empty flag of the holding register
        if (s_axil_awvalid && !aw_full_q) begin
            aw_full_d = 1'b1;
            aw_addr_d = s_axil_awaddr;
        end
        if (s_axil_wvalid && !w_full_q) begin
            w_full_d = 1'b1;
            w_data_d = s_axil_wdata;
            w_strb_d = s_axil_wstrb;
        end
        if (s_axil_arvalid && !ar_full_q) begin
            ar_full_d = 1'b1;
            ar_addr_d = s_axil_araddr;
        end

        case (state_q)
            ST_IDLE: begin
                if (serve_wr) begin
                    last_rd_d = 1'b0;
                    resp_d = resp;
                    state_d = ST_BRESP;
                    mem_req_o = mem_ok;
                    mem_we_o = 1'b1;
                end else if (serve_rd) begin
                    last_rd_d = 1'b1;
                    resp_d = resp;
                    rdata_d = (in_regs && resp == RESP_OKAY) ? reg_rdata : 32'd0;
                    mem_req_o = mem_ok;
                    state_d = mem_ok ? ST_RMEM : ST_RRESP;
                end
            end
            ST_RMEM: begin
                rdata_d = mem_rdata_i;
                state_d = ST_RRESP;
            end
            ST_RRESP: begin
                if (s_axil_rready) begin
                    ar_full_d = 1'b0;
                    state_d = ST_IDLE;
                end
            end
            default: begin  // ST_BRESP
                if (s_axil_bready) begin
                    aw_full_d = 1'b0;
                    w_full_d = 1'b0;
                    state_d = ST_IDLE;
                end
            end
        endcase

        // register side effects of an accepted write
        if (reg_wr_ok) begin
            case (reg_off)
                `SPW_REG_CTRL: begin
                    if (start_req) begin
                        start_d = 1'b1;
                        done_d = 1'b0;
                        error_d = 1'b0;
                        err_code_d = 4'd0;
                    end
                end
                `SPW_REG_IRQ_ENABLE: irq_en_d = (irq_en_q & ~strb_mask[1:0]) | wr_ones[1:0];
                `SPW_REG_IRQ_STATUS: irq_st_d = irq_st_q & ~wr_ones[1:0];
                `SPW_REG_START_PC:   start_pc_d = (start_pc_q & ~strb_mask[15:0]) | wr_ones[15:0];
                default: ;
            endcase
        end

        // run end: sticky flags and IRQ events (START above wins for STATUS)
        if (done_i) begin
            irq_st_d = irq_st_d | {err_code_i != 4'd0, 1'b1};
            err_pc_d = err_pc_i;
            if (!start_d) begin
                done_d = 1'b1;
                error_d = err_code_i != 4'd0;
                err_code_d = err_code_i;
            end
        end

        irq_d = |(irq_st_d & irq_en_d);
    end

    always @(posedge clk_i or negedge rst_ni) begin
        if (!rst_ni) begin
            state_q <= ST_IDLE;
            last_rd_q <= 1'b0;
            aw_full_q <= 1'b0;
            aw_addr_q <= 20'd0;
            w_full_q <= 1'b0;
            w_data_q <= 32'd0;
            w_strb_q <= 4'd0;
            ar_full_q <= 1'b0;
            ar_addr_q <= 20'd0;
            resp_q <= RESP_OKAY;
            rdata_q <= 32'd0;
            start_q <= 1'b0;
            start_pc_q <= 16'd0;
            done_q <= 1'b0;
            error_q <= 1'b0;
            err_code_q <= 4'd0;
            err_pc_q <= 16'd0;
            irq_en_q <= 2'd0;
            irq_st_q <= 2'd0;
            irq_q <= 1'b0;
        end else begin
            state_q <= state_d;
            last_rd_q <= last_rd_d;
            aw_full_q <= aw_full_d;
            aw_addr_q <= aw_addr_d;
            w_full_q <= w_full_d;
            w_data_q <= w_data_d;
            w_strb_q <= w_strb_d;
            ar_full_q <= ar_full_d;
            ar_addr_q <= ar_addr_d;
            resp_q <= resp_d;
            rdata_q <= rdata_d;
            start_q <= start_d;
            start_pc_q <= start_pc_d;
            done_q <= done_d;
            error_q <= error_d;
            err_code_q <= err_code_d;
            err_pc_q <= err_pc_d;
            irq_en_q <= irq_en_d;
            irq_st_q <= irq_st_d;
            irq_q <= irq_d;
        end
    end

    assign s_axil_awready = ~aw_full_q;
    assign s_axil_wready = ~w_full_q;
    assign s_axil_arready = ~ar_full_q;
    assign s_axil_bvalid = (state_q == ST_BRESP);
    assign s_axil_bresp = resp_q;
    assign s_axil_rvalid = (state_q == ST_RRESP);
    assign s_axil_rresp = resp_q;
    assign s_axil_rdata = rdata_q;

    assign start_o = start_q;
    assign start_pc_o = start_pc_q;
    assign irq_o = irq_q;
    assign mem_wdata_o = w_data_q;
    assign mem_wstrb_o = w_strb_q;

    // AxPROT carries nothing this slave checks; addr[1:0] is ignored by design
    wire unused_axil = ^{s_axil_awprot, s_axil_arprot, addr[1:0]};

endmodule

`default_nettype wire
